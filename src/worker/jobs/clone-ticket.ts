/**
 * The clone ticket: how the sandbox's one `git clone` of a private repository is let through the
 * Worker's git proxy (routes/git-proxy.ts) without the GitHub credential ever leaving the Worker.
 *
 * A ticket is 32 random bytes, issued by the job's JobRoom just before the clone step and revoked
 * when that step ends, however it ends. The room keeps only its SHA-256 and an expiry, so nothing
 * in storage would let anyone present it; a presented ticket is hashed and compared in constant
 * time. What a ticket opens is narrow: read-only smart HTTP (upload-pack) of the job's own
 * repository, for a few minutes at most — never the GitHub token itself.
 */
import { getValue, setValue } from "./log";

/** Long enough for a large partial clone; the clone step revokes the ticket long before, normally. */
export const CLONE_TICKET_TTL_MS = 10 * 60_000;

interface StoredTicket {
  sha256: string;
  expiresAt: number;
}

const KEY = "cloneTicket";

/** A fresh ticket for this room (replacing any earlier one); only its hash is stored. */
export async function issueTicket(sql: SqlStorage, now = Date.now()): Promise<string> {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const ticket = base64url(bytes);
  const stored: StoredTicket = { sha256: hex(await sha256(ticket)), expiresAt: now + CLONE_TICKET_TTL_MS };
  setValue(sql, KEY, stored);
  return ticket;
}

/** Whether `presented` is this room's live ticket: unexpired, unrevoked, equal in constant time. */
export async function ticketValid(sql: SqlStorage, presented: string, now = Date.now()): Promise<boolean> {
  const stored = getValue<StoredTicket>(sql, KEY);
  if (!stored || stored.expiresAt <= now) return false;
  const expected = hexBytes(stored.sha256);
  const actual = await sha256(presented);
  // Both sides are 32-byte digests, so the comparison's time says nothing about the ticket.
  return crypto.subtle.timingSafeEqual(expected, actual);
}

/** Forgets the ticket; anything presenting it afterwards is refused. */
export function revokeTicket(sql: SqlStorage): void {
  sql.exec("DELETE FROM kv WHERE key = ?", KEY);
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function hexBytes(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}
