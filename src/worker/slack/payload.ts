/**
 * Reading what Slack POSTs: slash commands are form-encoded fields, interactivity is a form field
 * `payload` holding JSON, the Events API is JSON. The body is read once, as text, because the
 * signature covers the raw bytes; parsing happens after.
 */

/** Slack's own payloads are far smaller; this only stops a stranger from making us buffer a lot. */
export const MAX_SLACK_BODY_BYTES = 512 * 1024;

export type SlackBody = Record<string, unknown>;

/** The raw body, or null when it is larger than MAX_SLACK_BODY_BYTES. */
export async function readRawBody(request: Request): Promise<string | null> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_SLACK_BODY_BYTES) return null;
  const text = await request.text();
  return new TextEncoder().encode(text).byteLength > MAX_SLACK_BODY_BYTES ? null : text;
}

/** Parses the body as Slack sent it; null when it is neither a form nor a JSON object. */
export function parseSlackBody(raw: string, contentType: string): SlackBody | null {
  try {
    if (/^application\/x-www-form-urlencoded\b/i.test(contentType)) {
      const form = Object.fromEntries(new URLSearchParams(raw));
      if (typeof form.payload === "string") return asObject(JSON.parse(form.payload));
      return form;
    }
    return asObject(JSON.parse(raw));
  } catch {
    // Not JSON where JSON was expected: the caller answers 400.
    return null;
  }
}

function asObject(value: unknown): SlackBody | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as SlackBody) : null;
}
