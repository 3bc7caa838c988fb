/**
 * Bearer-token checks for the HTTP API. Tokens are compared as SHA-256 digests with a
 * constant-time compare against every configured token, so neither a token's length nor how many
 * leading bytes match can be timed, and the token itself is never logged.
 */
import { type ApiToken, parseTokens } from "./api-tokens";
import { ApiError } from "./errors";

const encoder = new TextEncoder();

async function digest(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
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
