/**
 * The API tokens a deployment accepts (CODE_API_TOKENS): comma-separated entries, each a plain
 * token or `name:token`, where the name is who the PR body says asked. Kept apart from the
 * constant-time check in auth.ts, which needs workerd's crypto.
 */

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
