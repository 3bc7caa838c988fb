/**
 * Bearer-token checks for the HTTP API. Tokens are compared as SHA-256 digests with a
 * constant-time compare against every configured token, so neither a token's length nor how many
 * leading bytes match can be timed, and the token itself is never logged.
 */
import { ApiError } from "./errors";

const encoder = new TextEncoder();

async function digest(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}

/** One configured token: `name:token`, or a plain token without a name. */
export interface ApiToken {
  name: string | null;
  token: string;
}

/** Parses CODE_API_TOKENS: comma-separated entries, each `name:token` or a plain token. */
export function parseTokens(configured: string | undefined): ApiToken[] {
  return (configured ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t.length > 0)
    .map((entry) => {
      const at = entry.indexOf(":");
      return at > 0 && at < entry.length - 1
        ? { name: entry.slice(0, at).trim(), token: entry.slice(at + 1).trim() }
        : { name: null, token: entry };
    });
}

/**
 * Throws 401 unless `header` is `Bearer <one of the configured tokens>`; 401 too when none is
 * configured. Returns the matching token's name (null for a plain token without one).
 */
export async function requireBearer(
  header: string | undefined,
  configured: string | undefined,
): Promise<string | null> {
  const tokens = parseTokens(configured);
  if (tokens.length === 0) {
    throw new ApiError(
      401,
      "API closed",
      "This endpoint is closed: no API tokens are configured (CODE_API_TOKENS).",
      {},
      {
        "www-authenticate": 'Bearer realm="modal-coding-agent"',
      },
    );
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  const presented = await digest(match?.[1] ?? "");
  let found: ApiToken | null = null;
  for (const entry of tokens) {
    // Every token is compared, whatever the outcome, so timing says nothing about which one matched.
    if (crypto.subtle.timingSafeEqual(presented, await digest(entry.token))) found = entry;
  }
  if (!match || !found) {
    throw new ApiError(
      401,
      "Unauthorized",
      "A valid `Authorization: Bearer <token>` header is required.",
      {},
      {
        "www-authenticate": 'Bearer realm="modal-coding-agent"',
      },
    );
  }
  return found.name;
}
