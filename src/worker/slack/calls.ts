/**
 * The few Slack calls the thread makes, with Slack's failures sorted into what the caller can act
 * on: rate limited (wait out Retry-After), cannot post here (fall back to response_url), or other.
 */

import type { types } from "@slack/bolt";
import { webApi } from "@slack/bolt";

export type SlackFailure =
  | { kind: "rate_limited"; retryAfterMs: number }
  | { kind: "cannot_post"; error: string }
  | { kind: "failed"; error: string };

/** A Slack call that did not succeed, classified. */
export class SlackCallError extends Error {
  constructor(readonly failure: SlackFailure) {
    super(failure.kind === "rate_limited" ? `rate limited for ${failure.retryAfterMs} ms` : failure.error);
    this.name = "SlackCallError";
  }
}

export interface OutgoingMessage {
  channel: string;
  text: string;
  blocks?: types.KnownBlock[];
  /** Message metadata (job-metadata.ts); an update without it keeps the message's own. */
  metadata?: types.MessageMetadata;
}

export interface SlackCalls {
  /** chat.postMessage; returns the new message's ts. */
  post(message: OutgoingMessage & { threadTs?: string }): Promise<string>;
  /** chat.update of the message at `ts`. */
  update(message: OutgoingMessage & { ts: string }): Promise<void>;
  /** A POST to a response_url (slash command or interaction). */
  respond(url: string, body: Record<string, unknown>): Promise<void>;
}

/** Errors meaning "this bot may not post in this conversation". */
const CANNOT_POST = new Set([
  "not_in_channel",
  "channel_not_found",
  "is_archived",
  "restricted_action",
  "restricted_action_read_only_channel",
  "restricted_action_thread_only_channel",
  "restricted_action_non_threadable_channel",
  "ekm_access_denied",
]);

/** Wraps a WebClient built with `rejectRateLimitedCalls` (deps.ts `slackClient`). */
export function slackCalls(client: webApi.WebClient): SlackCalls {
  return {
    async post({ channel, text, blocks, metadata, threadTs }) {
      const result = await guard(() =>
        client.chat.postMessage({
          channel,
          text,
          ...(blocks ? { blocks } : {}),
          ...(metadata ? { metadata } : {}),
          ...(threadTs ? { thread_ts: threadTs } : {}),
          unfurl_links: false,
        }),
      );
      if (!result.ts) throw new SlackCallError({ kind: "failed", error: "chat.postMessage returned no ts" });
      return result.ts;
    },
    async update({ channel, ts, text, blocks, metadata }) {
      await guard(() =>
        client.chat.update({
          channel,
          ts,
          text,
          ...(blocks ? { blocks } : {}),
          ...(metadata ? { metadata } : {}),
        }),
      );
    },
    async respond(url, body) {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const detail = await response.text();
      if (response.status === 429) {
        throw new SlackCallError({ kind: "rate_limited", retryAfterMs: retryAfterMs(response.headers) });
      }
      if (!response.ok)
        throw new SlackCallError({
          kind: "failed",
          error: `response_url ${response.status}: ${detail.slice(0, 200)}`,
        });
      // Slack may refuse in the body alone (`{"ok":false,"error":"invalid_blocks"}`).
      const refused = refusalOf(detail);
      if (refused) throw new SlackCallError({ kind: "failed", error: `response_url: ${refused}` });
    },
  };
}

async function guard<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new SlackCallError(classify(error));
  }
}

function classify(error: unknown): SlackFailure {
  if (error instanceof webApi.WebAPIRateLimitedError) {
    return { kind: "rate_limited", retryAfterMs: Math.max(1, error.retryAfter) * 1000 };
  }
  if (error instanceof webApi.WebAPIPlatformError) {
    const code = error.data.error;
    return CANNOT_POST.has(code) ? { kind: "cannot_post", error: code } : { kind: "failed", error: code };
  }
  return { kind: "failed", error: error instanceof Error ? error.message : String(error) };
}

/** The `error` of an `{ ok: false }` JSON body; null for any other body (Slack may answer `ok`). */
function refusalOf(body: string): string | null {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== "object" || parsed === null || !("ok" in parsed) || parsed.ok !== false)
      return null;
    return "error" in parsed && typeof parsed.error === "string" ? parsed.error : "not ok";
  } catch {
    // A plain-text answer such as "ok" is success.
    return null;
  }
}

function retryAfterMs(headers: Headers): number {
  const seconds = Number(headers.get("retry-after"));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000;
}
