/**
 * Scrubs credentials out of text bound for a job's events and logs: an upstream error message may
 * echo a key back (OpenAI's 401 names the masked key) or a URL with a token in it.
 */

const PATTERNS: readonly [RegExp, string][] = [
  [/\b(Bearer|token|Basic)\s+[\w.~+/=-]{8,}/gi, "$1 [redacted]"],
  [/\bsk-[\w*.-]{4,}/g, "sk-[redacted]"],
  [/\b(gh[pousr]_|github_pat_)\w+/g, "$1[redacted]"],
  [/\bxox[abposr]-[\w-]+/g, "xox-[redacted]"],
  // Credentials in a URL's userinfo (https://user:token@host/...).
  [/(\w+:\/\/)[^/\s:@]+:[^/\s@]+@/g, "$1[redacted]@"],
];

/** `text` with anything shaped like a token, an API key or URL credentials replaced. */
export function redact(text: string): string {
  return PATTERNS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

/** The origin of `url` without credentials, for naming the host a call failed to reach. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    // Not a URL (a relative path, say): say nothing about it rather than echo it.
    return "the configured URL";
  }
}

/**
 * Whether an answer's text is a failed fetch reported as a response: wrangler dev's outbound
 * proxy answers a connection it could not make with a 500 whose body is the error ("TypeError:
 * fetch failed"), where deployed workerd throws instead.
 */
export function isFetchFailure(text: string): boolean {
  return /^(TypeError: )?fetch failed\b|\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN)\b/.test(text.trim());
}
