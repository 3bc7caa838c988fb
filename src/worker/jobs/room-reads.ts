/**
 * The JobRoom's read side: the job, its snapshot and page, its diff, and what its PR's
 * conversation asks of it (its turn and where it stands). Everything here is derived from the
 * room's storage when asked; the write side (room.ts) is the only one that changes it.
 */
import { DurableObject } from "cloudflare:workers";
import type { JobSnapshot, LoggedEvent } from "../../protocol/events";
import { type Conversation, conversationOf } from "./conversation";
import { readDiff } from "./diff-store";
import { getValue, type JobRecord, readEvents, snapshot } from "./log";
import { migrateProgress } from "./progress";
import { pullOf, type TurnState, turnRecord, turnState } from "./turn-record";

export abstract class JobRoomReads extends DurableObject<Env> {
  private record: JobRecord | null | undefined;
  private tables = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Reads of a job that does not exist must write nothing, so tables come with `init`.
    if (this.hasTables()) migrateProgress(ctx.storage.sql);
  }

  async turnState(): Promise<TurnState | "unknown"> {
    return this.job() ? turnState(this.ctx.storage.sql) : "unknown";
  }

  /** The job as a turn of its PR's conversation (turn-record.ts); null for an unknown job. */
  async turn() {
    const job = this.job();
    return job ? turnRecord(this.ctx.storage.sql, job) : null;
  }

  /**
   * A projection's own stored value (jobs/projection.ts `save`) as its JSON text, for what renders
   * the next turn; the projection that wrote it reads it back (an RPC method cannot be generic).
   */
  async projected(key: string): Promise<string | null> {
    const value = this.job() ? getValue<unknown>(this.ctx.storage.sql, key) : null;
    return value === null ? null : JSON.stringify(value);
  }

  /** The PR the job opened or continues, with the PR's base commit; null when there is none (yet). */
  async pull() {
    const job = this.job();
    return job ? pullOf(this.ctx.storage.sql, job) : null;
  }

  /** The job, read once: it never changes after `init`. */
  job(): JobRecord | null {
    if (this.record === undefined || this.record === null) {
      this.record = this.hasTables() ? getValue<JobRecord>(this.ctx.storage.sql, "job") : null;
    }
    return this.record;
  }

  async snapshot(): Promise<JobSnapshot | null> {
    const job = this.job();
    if (!job) return null;
    const snap = snapshot(job, readEvents(this.ctx.storage.sql, 0));
    const conversation = this.conversation();
    return conversation ? { ...snap, followUps: await conversation.after(job.jobId) } : snap;
  }

  /** The job and its whole log, for the job page; null when the room holds no job. */
  async page(): Promise<{
    job: JobRecord;
    events: LoggedEvent[];
    diff: string | null;
    chain: { followUpOf: string | null; followUps: string[] };
  } | null> {
    const job = this.job();
    if (!job) return null;
    const conversation = this.conversation();
    const followUps = conversation ? await conversation.after(job.jobId) : [];
    const chain = { followUpOf: job.followUp?.of ?? null, followUps };
    return { job, events: readEvents(this.ctx.storage.sql, 0), diff: await this.diff(), chain };
  }

  /** The stored diff; null for an unknown job or before publishing started. */
  async diff(): Promise<string | null> {
    return this.hasTables() ? readDiff(this.ctx.storage.sql) : null;
  }

  /** The PullRoom of the PR this job opened or continues; null before it has one. */
  protected conversation(): Conversation | null {
    const job = this.job();
    const pull = job ? pullOf(this.ctx.storage.sql, job) : null;
    return pull ? conversationOf(this.env, pull.repo, pull.number) : null;
  }

  /** Asked of sqlite_master until the tables exist (a read that leaves no storage), then known. */
  protected hasTables(): boolean {
    this.tables ||=
      this.ctx.storage.sql
        .exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'")
        .toArray().length > 0;
    return this.tables;
  }
}
