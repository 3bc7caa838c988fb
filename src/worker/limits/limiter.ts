/**
 * TenantLimiter: one Durable Object per tenant (an API token, a Slack user) deciding, atomically,
 * whether a new job may start: a sliding one-minute rate window, a cap on jobs still running, and
 * the tenant's Idempotency-Keys (24 h), so a repeated request finds the job it already started,
 * and the signed deliveries it was asked about (Slack's replay window), so a replayed `/pr` is told
 * apart in the same call that admits it rather than in a round trip of its own.
 */
import { DurableObject } from "cloudflare:workers";

const MINUTE_MS = 60_000;
const IDEMPOTENCY_MS = 24 * 60 * 60_000;
/** A held slot whose job never appeared is released after this long. */
const UNSTARTED_MS = 60_000;

export interface AdmitRequest {
  jobId: string;
  perMinute: number;
  maxConcurrent: number;
  idempotencyKey?: string;
  /** Digest of the request, to tell a retry from a different request reusing the key. */
  fingerprint?: string;
  /**
   * The signed request's own key (Slack's `X-Slack-Signature`), remembered for `ttlMs`: the same
   * key again in that time is a replay, answered `redelivered` and neither counted nor admitted.
   */
  delivery?: { key: string; ttlMs: number };
}

export type Admission =
  | { kind: "admitted"; jobId: string }
  | { kind: "replay"; jobId: string }
  | { kind: "key-reused" }
  | { kind: "redelivered" }
  | { kind: "limited"; reason: "rate" | "concurrency"; retryAfterSeconds: number; limit: number };

export class TenantLimiter extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS hits (at INTEGER NOT NULL)");
    sql.exec("CREATE TABLE IF NOT EXISTS running (job_id TEXT PRIMARY KEY, at INTEGER NOT NULL)");
    sql.exec(`CREATE TABLE IF NOT EXISTS idempotency (
      key TEXT PRIMARY KEY, job_id TEXT NOT NULL, fingerprint TEXT NOT NULL, at INTEGER NOT NULL
    )`);
    sql.exec("CREATE TABLE IF NOT EXISTS deliveries (key TEXT PRIMARY KEY, expires INTEGER NOT NULL)");
  }

  /** The sweep of ended jobs now under way, which admissions arriving meanwhile share. */
  private sweep: Promise<void> | null = null;

  /** Admits a job, replays a known Idempotency-Key, or says which limit it hit and for how long. */
  async admit(request: AdmitRequest): Promise<Admission> {
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    sql.exec("DELETE FROM hits WHERE at <= ?", now - MINUTE_MS);
    sql.exec("DELETE FROM idempotency WHERE at <= ?", now - IDEMPOTENCY_MS);
    // Before anything is decided: a replay is ignored whatever its original was told (a limit
    // since freed must not let it start the job its original was refused).
    if (request.delivery && !this.firstDelivery(request.delivery, now)) return { kind: "redelivered" };
    // Only a request that could start a job at the cap is worth asking the JobRooms for: a known
    // key or a spent minute is answered from this object alone, without an await.
    const decided = this.decide(request, now);
    if (decided.kind !== "limited" || decided.reason !== "concurrency") return decided;
    // The only await. While it waits, other admissions run, so everything after it (the
    // Idempotency-Key lookup included) is decided again in one synchronous step. Deciding the key
    // before the await let two requests with one key both pass the lookup at the cap.
    await this.releaseEnded(now);
    return this.decide(request, Date.now());
  }

  /** The admission for `request` as storage stands; admits (and records it) when nothing refuses. */
  private decide(request: AdmitRequest, now: number): Admission {
    const sql = this.ctx.storage.sql;
    if (request.idempotencyKey !== undefined) {
      const known = sql
        .exec<{ job_id: string; fingerprint: string }>(
          "SELECT job_id, fingerprint FROM idempotency WHERE key = ?",
          request.idempotencyKey,
        )
        .toArray()[0];
      if (known) {
        return known.fingerprint === (request.fingerprint ?? "")
          ? { kind: "replay", jobId: known.job_id }
          : { kind: "key-reused" };
      }
    }
    const hits = sql
      .exec<{ n: number; oldest: number | null }>("SELECT COUNT(*) AS n, MIN(at) AS oldest FROM hits")
      .one();
    if (hits.n >= request.perMinute) {
      const wait = (hits.oldest ?? now) + MINUTE_MS - now;
      return {
        kind: "limited",
        reason: "rate",
        retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)),
        limit: request.perMinute,
      };
    }
    if (this.runningCount() >= request.maxConcurrent) {
      return { kind: "limited", reason: "concurrency", retryAfterSeconds: 30, limit: request.maxConcurrent };
    }
    sql.exec("INSERT INTO hits (at) VALUES (?)", now);
    sql.exec("INSERT OR REPLACE INTO running (job_id, at) VALUES (?, ?)", request.jobId, now);
    if (request.idempotencyKey !== undefined) {
      sql.exec(
        "INSERT INTO idempotency (key, job_id, fingerprint, at) VALUES (?, ?, ?, ?)",
        request.idempotencyKey,
        request.jobId,
        request.fingerprint ?? "",
        now,
      );
    }
    return { kind: "admitted", jobId: request.jobId };
  }

  /** Records `delivery`; false when it was already recorded and has not expired (a replay). */
  private firstDelivery(delivery: { key: string; ttlMs: number }, now: number): boolean {
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM deliveries WHERE expires <= ?", now);
    const fresh = sql
      .exec(
        "INSERT INTO deliveries (key, expires) VALUES (?, ?) ON CONFLICT(key) DO NOTHING RETURNING key",
        delivery.key,
        now + delivery.ttlMs,
      )
      .toArray();
    return fresh.length > 0;
  }

  private runningCount(): number {
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM running").one().n;
  }

  /**
   * Frees the slots of jobs that have ended (asked of their JobRooms; only when at the cap). A
   * burst at the cap shares one sweep rather than asking every JobRoom once per refused request.
   */
  private releaseEnded(now: number): Promise<void> {
    this.sweep ??= this.sweepEnded(now).finally(() => {
      this.sweep = null;
    });
    return this.sweep;
  }

  private async sweepEnded(now: number): Promise<void> {
    const held = this.ctx.storage.sql
      .exec<{ job_id: string; at: number }>("SELECT job_id, at FROM running")
      .toArray();
    const ended = await Promise.all(
      held.map(async ({ job_id, at }) => {
        const snap = await this.env.JOB_ROOM.get(this.env.JOB_ROOM.idFromName(job_id)).snapshot();
        return snap ? snap.status !== "running" : now - at > UNSTARTED_MS;
      }),
    );
    held.forEach(({ job_id }, i) => {
      if (ended[i]) this.ctx.storage.sql.exec("DELETE FROM running WHERE job_id = ?", job_id);
    });
  }
}
