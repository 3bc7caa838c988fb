/**
 * SlackGuard: a small sharded Durable Object that remembers the signatures of recent Slack
 * requests, so a listener whose effect is not idempotent (the Cancel button) can ignore a replayed
 * request, and the Events API deliveries a listener took (a mention), so a retry is ignored. A `/pr` needs no call of its own here: its tenant's limiter, which it asks anyway,
 * remembers its signature for as long (limits/limiter.ts). It is asked after the ack, never before: a round trip to it is not worth Slack's 3 s.
 * Keys hash onto a few long-lived shards, so a check meets a warm object rather than creating one
 * per request; an alarm drops expired entries.
 */
import { DurableObject } from "cloudflare:workers";

/** Longer than Slack's 5-minute signature window, so a replay is caught for as long as it could pass. */
export const SIGNATURE_TTL_MS = 6 * 60_000;
const SHARDS = 16;

export class SlackGuard extends DurableObject<Env> {
  private alarmSet = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, expires INTEGER NOT NULL)");
  }

  /** True the first time `key` is offered (or after its entry expired), false while it is remembered. */
  async once(key: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const fresh = this.ctx.storage.sql
      .exec(
        `INSERT INTO seen (key, expires) VALUES (?, ?)
         ON CONFLICT(key) DO UPDATE SET expires = excluded.expires WHERE seen.expires < ?
         RETURNING key`,
        key,
        now + ttlMs,
        now,
      )
      .toArray();
    if (fresh.length === 0) return false;
    if (!this.alarmSet) {
      this.alarmSet = true;
      if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + ttlMs);
    }
    return true;
  }

  /** Drops expired entries; comes back for the next one to expire. */
  override async alarm(): Promise<void> {
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM seen WHERE expires < ?", Date.now());
    const next = sql.exec<{ next: number | null }>("SELECT MIN(expires) AS next FROM seen").one().next;
    if (next !== null) await this.ctx.storage.setAlarm(next + 1);
    else this.alarmSet = false;
  }
}

/**
 * Slack retries an event it got no 200 for up to three times, the last about five minutes after
 * the first: an hour covers every retry (and every replay of one) with room to spare.
 */
export const EVENT_TTL_MS = 60 * 60_000;

/**
 * True unless an Events API delivery with this key (team and event_id) reached a listener before:
 * a retry or a replay. Asked by the listener, so a delivery that failed before it is not counted.
 */
export function firstEvent(env: Env, key: string): Promise<boolean> {
  return shard(env, "event", key).once(`event:${key}`, EVENT_TTL_MS);
}

/** True unless this exact signed request was seen before (a replay). */
export function firstDelivery(env: Env, signature: string): Promise<boolean> {
  return shard(env, "signature", signature).once(signature, SIGNATURE_TTL_MS);
}

function shard(env: Env, kind: string, key: string) {
  // FNV-1a: cheap and even enough to spread keys over the shards.
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  const n = (hash >>> 0) % SHARDS;
  return env.SLACK_GUARD.get(env.SLACK_GUARD.idFromName(`${kind}:${n}`));
}
