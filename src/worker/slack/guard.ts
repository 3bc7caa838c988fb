/**
 * SlackGuard: a small keyed Durable Object that remembers which Slack deliveries it has seen, so
 * a replayed request (same signature) is refused and a repeated `/pr` (same trigger_id, or Slack's
 * retries) never starts a second job. Memory lives in SQLite and is wiped by an alarm once stale.
 */
import { DurableObject } from "cloudflare:workers";

/** Longer than Slack's 5-minute signature window, so a replay is caught for as long as it could pass. */
const SIGNATURE_TTL_MS = 6 * 60_000;
/** Slack retries a delivery within minutes; an hour covers every retry and a user's double submit. */
const TRIGGER_TTL_MS = 60 * 60_000;

export class SlackGuard extends DurableObject<Env> {
  /** True the first time `key` is offered to this instance, false on every later offer. */
  async once(key: string, ttlMs: number): Promise<boolean> {
    // Created here rather than in the constructor: the alarm's deleteAll drops the table too.
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY)");
    const inserted = this.ctx.storage.sql
      .exec("INSERT INTO seen (key) VALUES (?) ON CONFLICT(key) DO NOTHING RETURNING key", key)
      .toArray();
    if (inserted.length === 0) return false;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + ttlMs);
    return true;
  }

  /** Everything here has outlived its window: forget it all. */
  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}

/**
 * True unless this exact signed request was seen before. Requests are grouped by their signed
 * timestamp (one instance per second), and a replay must carry the same timestamp to verify.
 */
export function firstDelivery(env: Env, timestamp: number, signature: string): Promise<boolean> {
  const guard = env.SLACK_GUARD.get(env.SLACK_GUARD.idFromName(`signature:${timestamp}`));
  return guard.once(signature, SIGNATURE_TTL_MS);
}

/** True the first time a slash command with this `trigger_id` is claimed. */
export function claimTrigger(env: Env, triggerId: string): Promise<boolean> {
  const guard = env.SLACK_GUARD.get(env.SLACK_GUARD.idFromName(`trigger:${triggerId}`));
  return guard.once(triggerId, TRIGGER_TTL_MS);
}
