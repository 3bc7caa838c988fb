/**
 * Bearer-token checks for the HTTP API. Tokens are compared as SHA-256 digests with a
 * constant-time compare against every configured token, so neither a token's length nor how many
 * leading bytes match can be timed, and the token itself is never logged. The job history's
 * readers may also hold an ADMIN_API_TOKENS token (`requireReader`), checked the same way.
 */
import { type ApiToken, parseTokens } from "./api-tokens";
import { ApiError } from "./errors";

const encoder = new TextEncoder();

async function digest(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}

/** Who a valid bearer token says is calling. */
export interface ApiCaller {
  /** The token's name (`name:token`), null for a plain token. */
  name: string | null;
  /**
   * The tenant whose limits apply: the name, or for a plain token a digest of the configured token
   * that matched, never of the header, so spelling the header differently is not another tenant.
   */
  tenant: string;
}

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)]
    .slice(0, 16)
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/**
 * Throws 401 unless `header` is `Bearer <one of the configured tokens>`; 401 too when none is
 * configured. The scheme is case-insensitive (RFC 9110 11.1) and, as RFC 6750's `1*SP` allows,
 * any run of whitespace may separate it from the token; surrounding whitespace is ignored.
 */
export async function requireBearer(
  header: string | undefined,
  configured: string | undefined,
): Promise<ApiCaller> {
  const tokens = parseTokens(configured);
  if (tokens.length === 0) throw apiClosed();
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  const found = await matchToken(match?.[1], tokens);
  if (!match || !found) throw unauthorized();
  return callerOf(found);
}

function callerOf(found: { entry: ApiToken; digest: ArrayBuffer }): ApiCaller {
  const { name } = found.entry;
  return { name, tenant: name ? `api:${name}` : `api:#${hex(found.digest)}` };
}

/** The configured token the presented one equals, if any; every token is compared, whatever the outcome. */
async function matchToken(
  token: string | undefined,
  tokens: ApiToken[],
): Promise<{ entry: ApiToken; digest: ArrayBuffer } | null> {
  const presented = await digest(token ?? "");
  let found: { entry: ApiToken; digest: ArrayBuffer } | null = null;
  for (const entry of tokens) {
    // Timing says nothing about which token matched, or whether one did.
    const expected = await digest(entry.token);
    if (crypto.subtle.timingSafeEqual(presented, expected)) found = { entry, digest: expected };
  }
  return found;
}

function apiClosed(): ApiError {
  return new ApiError(
    401,
    "API closed",
    "This endpoint is closed: no API tokens are configured (CODE_API_TOKENS).",
    {},
    { "www-authenticate": 'Bearer realm="modal-coding-agent"' },
  );
}

function unauthorized(): ApiError {
  return new ApiError(
    401,
    "Unauthorized",
    "A valid `Authorization: Bearer <token>` header is required.",
    {},
    { "www-authenticate": 'Bearer realm="modal-coding-agent"' },
  );
}

/** Who reads the job history: an admin (ADMIN_API_TOKENS, every tenant) or one tenant's caller. */
export type HistoryReader = { admin: true; name: string | null } | { admin: false; caller: ApiCaller };

/**
 * Like `requireBearer`, also accepting ADMIN_API_TOKENS. Both lists are compared in full on every
 * call, so timing does not tell an admin token from an API token.
 */
export async function requireReader(
  header: string | undefined,
  codeTokens: string | undefined,
  adminTokens: string | undefined,
): Promise<HistoryReader> {
  const api = parseTokens(codeTokens);
  const admins = parseTokens(adminTokens);
  if (api.length === 0 && admins.length === 0) throw apiClosed();
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  const admin = await matchToken(match?.[1], admins);
  const caller = await matchToken(match?.[1], api);
  if (match && admin) return { admin: true, name: admin.entry.name };
  if (match && caller) return { admin: false, caller: callerOf(caller) };
  throw unauthorized();
}
