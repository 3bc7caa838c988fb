/**
 * Slack's request signing, v0: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` under the
 * app's signing secret, with the timestamp within five minutes of now. The comparison is WebCrypto's
 * HMAC verify, which compares in constant time, so timing says nothing about how much matched.
 */

/** How far a request's timestamp may be from now, either way (Slack's own rule). */
export const SIGNATURE_WINDOW_SECONDS = 5 * 60;

export type SignatureCheck =
  | { ok: true; timestamp: number; signature: string }
  | { ok: false; reason: string };

const encoder = new TextEncoder();

/** The HMAC key of `signingSecret`, for verifying only; import it once and reuse it. */
export function signingKey(signingSecret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    encoder.encode(signingSecret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
}

/**
 * Checks `X-Slack-Signature` and `X-Slack-Request-Timestamp` against the raw request body, under
 * the signing secret or its imported key (signingKey). `nowSeconds` is injectable so the window
 * can be reasoned about; it defaults to the clock.
 */
export async function verifySlackSignature(
  signingSecret: string | CryptoKey,
  rawBody: string,
  headers: Headers,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): Promise<SignatureCheck> {
  if (!signingSecret) return { ok: false, reason: "no signing secret is configured (SLACK_SIGNING_SECRET)" };
  const signature = headers.get("x-slack-signature") ?? "";
  const stamp = headers.get("x-slack-request-timestamp") ?? "";
  if (!/^\d{1,12}$/.test(stamp)) return { ok: false, reason: "missing or malformed timestamp" };
  const timestamp = Number(stamp);
  if (Math.abs(nowSeconds - timestamp) > SIGNATURE_WINDOW_SECONDS) {
    return { ok: false, reason: "timestamp outside the five-minute window" };
  }
  const match = /^v0=([0-9a-f]{64})$/.exec(signature);
  if (!match?.[1]) return { ok: false, reason: "missing or malformed signature" };
  const key = typeof signingSecret === "string" ? await signingKey(signingSecret) : signingSecret;
  const valid = await crypto.subtle.verify(
    "HMAC",
    key,
    hexToBytes(match[1]),
    encoder.encode(`v0:${stamp}:${rawBody}`),
  );
  return valid ? { ok: true, timestamp, signature } : { ok: false, reason: "signature mismatch" };
}

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}
