/**
 * Job ids derived from what a sender repeats when it retries (Slack's trigger_id and event_id,
 * GitHub's X-GitHub-Delivery), so a redelivery names the same JobRoom, which starts a job only
 * once. An HMAC under the sender's secret: as unguessable as a random UUID without the secret.
 */

const encoder = new TextEncoder();

/**
 * Imported keys by secret, one import per isolate and secret rather than one per request. A
 * deployment has a couple of secrets at most (Slack's, GitHub's), so the cache stays that small.
 */
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    keys.set(secret, key);
  }
  return key;
}

/** A UUIDv4-shaped id (122 bits of HMAC-SHA256 of `label` under `secret`). */
export async function derivedJobId(secret: string, label: string): Promise<string> {
  const key = await hmacKey(secret);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(label)));
  const bytes = mac.slice(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
