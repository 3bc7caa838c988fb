/**
 * A webhook follow-up's job id is derived from its `X-GitHub-Delivery`, so a redelivery (GitHub's
 * "Redeliver" button, or its retry of a delivery that timed out) names the same job, which starts
 * only once. An HMAC under the webhook secret: as unguessable as a random UUID without the secret.
 * (slack/job-id.ts derives `/pr` ids the same way from Slack's trigger_id.)
 */

const encoder = new TextEncoder();

/** The last secret's imported key: one import per isolate and secret, not one per delivery. */
let imported: { secret: string; key: Promise<CryptoKey> } | null = null;

function hmacKey(secret: string): Promise<CryptoKey> {
  if (imported?.secret !== secret) {
    const key = crypto.subtle.importKey(
      "raw",
      encoder.encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    imported = { secret, key };
  }
  return imported.key;
}

/** A UUIDv4-shaped id (122 bits of HMAC-SHA256) for the delivery `deliveryId`. */
export async function deliveryJobId(webhookSecret: string, deliveryId: string): Promise<string> {
  const key = await hmacKey(webhookSecret);
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, encoder.encode(`github-delivery:${deliveryId}`)),
  );
  const bytes = mac.slice(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
