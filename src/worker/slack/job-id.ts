/**
 * The job id of a `/pr` is derived from the command's trigger_id, and that of a mention from its
 * Events API event_id, so Slack's retries and a double submit (same trigger_id, same event_id)
 * name the same JobRoom, which starts a job only once. The derivation is an HMAC under the
 * signing secret: as unguessable as a random UUID to anyone without the secret.
 */

const encoder = new TextEncoder();

/** The last secret's imported key: one import per isolate and secret, not one per command. */
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

/** A UUIDv4-shaped id (122 bits of HMAC-SHA256) for the command `teamId`/`triggerId`. */
export function commandJobId(signingSecret: string, teamId: string, triggerId: string): Promise<string> {
  return derivedId(signingSecret, `pr:${teamId}:${triggerId}`);
}

/** The same for an Events API delivery (`event_id` is unique per workspace and kept by retries). */
export function eventJobId(signingSecret: string, teamId: string, eventId: string): Promise<string> {
  return derivedId(signingSecret, `event:${teamId}:${eventId}`);
}

async function derivedId(signingSecret: string, label: string): Promise<string> {
  const key = await hmacKey(signingSecret);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(label)));
  const bytes = mac.slice(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
