/**
 * The headers every job page response carries (the page, its 404 page; public/_headers gives the
 * script and stylesheet the same): a strict CSP with no inline script or style and no other
 * origin, no MIME sniffing, no Referer leaking the job's capability URL, and no framing.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  // Older browsers that ignore frame-ancestors.
  "x-frame-options": "DENY",
};
