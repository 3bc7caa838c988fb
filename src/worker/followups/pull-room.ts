/**
 * PullRoom: one Durable Object per pull request this deployment opened, named by the PR
 * (`owner/name#number`). It holds the PR's conversation — the order of its turns (jobs) — and runs
 * them one at a time: a follow-up that arrives while a turn runs waits, queued, and starts when
 * that turn ends. Each turn's own facts stay in its JobRoom; this room keeps only the order and
 * which turn runs. Its alarm is the safety net for a lost notification: while turns wait, it asks
 * the running turn's room whether it ended, and starts a next turn whose start call failed.
 */
import { DurableObject } from "cloudflare:workers";
import { log } from "../log";

type TurnState = "queued" | "running" | "ended";

/** How often a waiting queue re-checks the running turn, should its end not have been told. */
const WATCH_MS = 30_000;
/** How soon a failed start of the next turn is tried again. */
const RETRY_MS = 5_000;

/** The PullRoom of PR `number` on `repo` (`owner/name`); names are case-insensitive, as GitHub's. */
export function pullRoom(env: Env, repo: string, number: number) {
  return env.PULL_ROOM.get(env.PULL_ROOM.idFromName(`${repo.toLowerCase()}#${number}`));
}

export class PullRoom extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS turns (
      idx INTEGER PRIMARY KEY AUTOINCREMENT,
      job_id TEXT NOT NULL UNIQUE,
      state TEXT NOT NULL
    )`);
  }

  /** The job that opened the PR: the conversation's first turn, running. Safe to repeat. */
  async opened(jobId: string): Promise<void> {
    const sql = this.ctx.storage.sql;
    if (this.turnIds().length > 0) return;
    sql.exec("INSERT OR IGNORE INTO turns (job_id, state) VALUES (?, 'running')", jobId);
  }

  /**
   * A follow-up joins the conversation. `run`: nothing else runs, so it starts now (the caller
   * starts it); else it waits and this room starts it later. `after`: the turn it follows.
   * Safe to repeat: a job already in the conversation keeps its place.
   */
  async submit(jobId: string): Promise<{ run: boolean; after: string | null }> {
    const sql = this.ctx.storage.sql;
    const ids = this.turnIds();
    const at = ids.indexOf(jobId);
    if (at < 0) sql.exec("INSERT INTO turns (job_id, state) VALUES (?, 'queued')", jobId);
    const after = (at < 0 ? ids.at(-1) : ids[at - 1]) ?? null;
    if (this.running() === null) {
      const next = this.promote();
      if (next === jobId) return { run: true, after };
      if (next !== null) await this.release(next);
    }
    const running = this.running();
    if (running !== jobId) await this.watch(WATCH_MS);
    return { run: running === jobId, after };
  }

  /** A turn ended (succeeded, failed or cancelled, queued or not): the next waiting one starts. */
  async ended(jobId: string): Promise<void> {
    this.ctx.storage.sql.exec("UPDATE turns SET state = 'ended' WHERE job_id = ?", jobId);
    if (this.running() === null) await this.startNext();
  }

  /** Every turn's job id, in order. */
  async turns(): Promise<string[]> {
    return this.turnIds();
  }

  /** The turns after `jobId`'s, in order (none for a job not in the conversation). */
  async after(jobId: string): Promise<string[]> {
    const ids = this.turnIds();
    const at = ids.indexOf(jobId);
    return at < 0 ? [] : ids.slice(at + 1);
  }

  /** The conversation's last turn (the job a new follow-up runs after), or null for an unknown PR. */
  async latest(): Promise<string | null> {
    return this.turnIds().at(-1) ?? null;
  }

  override async alarm(): Promise<void> {
    const running = this.running();
    if (running === null) return this.startNext();
    const state = await this.jobRoom(running).turnState();
    if (state === "ended") return this.ended(running);
    // A running turn whose room never got its start (a failed call) is started again; idempotent.
    if (state === "queued") await this.jobRoom(running).release();
    if (this.waiting() > 0) await this.watch(WATCH_MS);
  }

  /** Promotes the first waiting turn and starts it. */
  private async startNext(): Promise<void> {
    const next = this.promote();
    if (next !== null) await this.release(next);
  }

  /** Starts turn `jobId` in its room (idempotent there); a failed start is retried by the alarm. */
  private async release(jobId: string): Promise<void> {
    try {
      await this.jobRoom(jobId).release();
    } catch (error) {
      log.error("pull room: could not start the next turn; retrying", { job_id: jobId, error });
      await this.watch(RETRY_MS);
      return;
    }
    if (this.waiting() > 0) await this.watch(WATCH_MS);
  }

  /** Marks the first queued turn running when none runs; its id, or null when none waits. */
  private promote(): string | null {
    if (this.running() !== null) return null;
    const next = this.ctx.storage.sql
      .exec<{ job_id: string }>("SELECT job_id FROM turns WHERE state = 'queued' ORDER BY idx LIMIT 1")
      .toArray()[0]?.job_id;
    if (!next) return null;
    this.ctx.storage.sql.exec("UPDATE turns SET state = 'running' WHERE job_id = ?", next);
    return next;
  }

  private running(): string | null {
    return (
      this.ctx.storage.sql
        .exec<{ job_id: string }>("SELECT job_id FROM turns WHERE state = 'running' ORDER BY idx LIMIT 1")
        .toArray()[0]?.job_id ?? null
    );
  }

  private waiting(): number {
    const queued: TurnState = "queued";
    return this.ctx.storage.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM turns WHERE state = ?", queued)
      .one().n;
  }

  private turnIds(): string[] {
    return this.ctx.storage.sql
      .exec<{ job_id: string }>("SELECT job_id FROM turns ORDER BY idx")
      .toArray()
      .map((r) => r.job_id);
  }

  private async watch(inMs: number): Promise<void> {
    const at = Date.now() + inMs;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  private jobRoom(jobId: string) {
    return this.env.JOB_ROOM.get(this.env.JOB_ROOM.idFromName(jobId));
  }
}
