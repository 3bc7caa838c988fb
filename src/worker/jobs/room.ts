/**
 * JobRoom: one Durable Object per job. It owns the event log (SQLite), fans events out to any
 * number of SSE subscribers, ends the job exactly once, keeps step checkpoints so a new Workflow
 * attempt resumes the job, and a watchdog alarm that re-drives a stalled job or ends it, so a job
 * whose Workflow died can never leave a stream hanging or a sandbox running.
 */
import { DurableObject } from "cloudflare:workers";
import type { JobEvent, JobSnapshot, JobStatus, LoggedEvent, Usage } from "../../protocol/events";
import { configOf } from "../config";
import { deps } from "../deps";
import { openSlackThread } from "../slack/room-thread";
import type { SlackThread } from "../slack/thread";
import { lastCheckpointAt, migrateCheckpoints, readCheckpoint, writeCheckpoint } from "./checkpoints";
import { issueTicket, revokeTicket, ticketValid } from "./clone-ticket";
import { appendEvent, getValue, type JobRecord, migrate, readEvents, setValue, snapshot } from "./log";
import { Subscribers, serveEvents } from "./sse";

/** A job that makes no progress (no event, no step result) for this long is re-driven or ended. */
function stallMs(env: Env): number {
  return configOf(env).watchdog.stallMs;
}

/** Workflow attempts at one job before the watchdog gives up on it. */
function maxAttempts(env: Env): number {
  return configOf(env).watchdog.maxAttempts;
}

export class JobRoom extends DurableObject<Env> {
  private readonly subscribers = new Subscribers();
  /** The job's Slack thread (jobs from `/pr`), opened on first use; null for other jobs. */
  private slackThread: SlackThread | null | undefined;
  /** Whether this room's tables exist, i.e. a job was ever initialised here (see `exists`). */
  private created: boolean | undefined;

  /**
   * True once `init` has made the tables. Rooms are addressed by any id a URL carries, so nothing
   * but `init` may write: an unknown id is answered from sqlite_master, a read that leaves no storage.
   */
  private exists(): boolean {
    if (this.created === undefined) {
      const sql = this.ctx.storage.sql;
      this.created =
        sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kv'").toArray().length > 0;
      // A room made by an older version gets any table added since (each is IF NOT EXISTS).
      if (this.created) this.migrateTables();
    }
    return this.created;
  }

  private migrateTables(): void {
    migrate(this.ctx.storage.sql);
    migrateCheckpoints(this.ctx.storage.sql);
    this.created = true;
  }

  /** Records the job and its first events; false when this room already holds a job. */
  async init(job: JobRecord): Promise<boolean> {
    if (!this.exists()) this.migrateTables();
    if (getValue<JobRecord>(this.ctx.storage.sql, "job")) return false;
    setValue(this.ctx.storage.sql, "job", job);
    const base = `${job.origin}/jobs/${job.jobId}`;
    this.push(
      {
        type: "job",
        data: {
          jobId: job.jobId,
          repo: job.repo,
          baseBranch: job.baseBranch,
          prompt: job.prompt,
          statusUrl: base,
          eventsUrl: `${base}/events`,
        },
      },
      "job",
    );
    this.push({ type: "status", data: { phase: "queued", message: "Job accepted" } }, "queued");
    // Off the caller's critical path: the first event is already in the log, and the room, not
    // the request that created it, is the job's owner from here on.
    this.ctx.waitUntil(this.startAttempt(1));
    return true;
  }

  /** Starts Workflow attempt `n` for this job; a job that cannot start ends failed. */
  private async startAttempt(n: number): Promise<void> {
    const job = this.job();
    if (!job || this.isDone()) return;
    const workflowId = `${job.jobId}_${n}`;
    setValue(this.ctx.storage.sql, "attempt", n);
    try {
      await this.env.CODE_JOB.create({ id: workflowId, params: { jobId: job.jobId } });
      setValue(this.ctx.storage.sql, "workflowId", workflowId);
    } catch (error) {
      console.error("workflow create failed:", String(error));
      await this.finish("failed", {
        error: { code: "internal_error", message: "The job could not be started." },
      });
    }
  }

  job(): JobRecord | null {
    return this.exists() ? getValue<JobRecord>(this.ctx.storage.sql, "job") : null;
  }

  /** Appends an event unless the job is over or `key` was seen; returns its sequence number. */
  async append(event: JobEvent, key?: string): Promise<number | null> {
    return this.push(event, key ?? null)?.seq ?? null;
  }

  /** Ends the job with an optional error and a final `done`; a second call is a no-op. */
  async finish(
    status: JobStatus,
    extra: { prUrl?: string; usage?: Partial<Usage>; error?: { code: string; message: string } },
  ): Promise<boolean> {
    if (!this.exists() || this.isDone()) return false;
    if (status !== "cancelled" && getValue<boolean>(this.ctx.storage.sql, "cancelling")) return false;
    if (extra.error) this.push({ type: "error", data: extra.error }, "error");
    const job = this.job();
    const usage: Usage = {
      steps: extra.usage?.steps ?? 0,
      promptTokens: extra.usage?.promptTokens ?? 0,
      completionTokens: extra.usage?.completionTokens ?? 0,
      durationMs: job ? Date.now() - Date.parse(job.createdAt) : 0,
      ...(extra.usage?.costUsd === undefined ? {} : { costUsd: extra.usage.costUsd }),
    };
    const data = extra.prUrl ? { status, prUrl: extra.prUrl, usage } : { status, usage };
    this.push({ type: "done", data }, "done");
    await this.ctx.storage.deleteAlarm();
    return true;
  }

  async snapshot(): Promise<JobSnapshot | null> {
    const job = this.job();
    return job ? snapshot(job, readEvents(this.ctx.storage.sql, 0)) : null;
  }

  /** Durable job state beside the log: the sandbox id, the Workflow instance id. */
  async remember(key: "sandboxId" | "workflowId", value: string | null): Promise<void> {
    if (this.exists()) setValue(this.ctx.storage.sql, key, value);
  }

  async recall(key: "sandboxId" | "workflowId"): Promise<string | null> {
    return this.exists() ? getValue<string>(this.ctx.storage.sql, key) : null;
  }

  /** A ticket for the job's one clone through the git proxy (clone-ticket.ts); null once the job is over. */
  async issueCloneTicket(): Promise<string | null> {
    return this.isDone() ? null : issueTicket(this.ctx.storage.sql);
  }

  async revokeCloneTicket(): Promise<void> {
    revokeTicket(this.ctx.storage.sql);
  }

  /** The repository (`owner/name`) a live clone ticket lets the git proxy read, else null. */
  async redeemCloneTicket(ticket: string): Promise<string | null> {
    const job = this.job();
    if (!job || this.isDone()) return null;
    return (await ticketValid(this.ctx.storage.sql, ticket)) ? job.repo : null;
  }

  /** The result a previous attempt saved for step `name` (see checkpoints.ts). */
  async checkpoint(name: string): Promise<{ value: unknown } | null> {
    return this.exists() ? readCheckpoint(this.ctx.storage.sql, name) : null;
  }

  /** Saves a step's result for later attempts; a saved step counts as progress for the watchdog. */
  async saveCheckpoint(name: string, value: unknown): Promise<void> {
    if (!this.exists() || this.isDone()) return;
    writeCheckpoint(this.ctx.storage.sql, name, value);
    void this.ctx.storage.setAlarm(Date.now() + stallMs(this.env));
  }

  /** Cancels a running job: stops its Workflow, frees its sandbox, ends it `cancelled`. */
  async cancel(reason: string): Promise<"cancelled" | "already-done" | "unknown"> {
    if (!this.job()) return "unknown";
    if (this.isDone()) return "already-done";
    // From here on only `cancelled` may end the job, even if the Workflow fails while it is stopped;
    // the sandbox goes before `done`, so whoever sees `done` sees nothing left running.
    setValue(this.ctx.storage.sql, "cancelling", true);
    await this.stopEverything();
    await this.finish("cancelled", { error: { code: "cancelled", message: reason } });
    return "cancelled";
  }

  /** `GET /events?after=N`: replay then live, as SSE. */
  override async fetch(request: Request): Promise<Response> {
    if (!this.exists()) return new Response(null, { status: 404 });
    const after = Number(new URL(request.url).searchParams.get("after") ?? "0");
    return serveEvents({
      after: Number.isInteger(after) && after >= 0 ? after : 0,
      read: (from) => readEvents(this.ctx.storage.sql, from),
      subscribers: this.subscribers,
    });
  }

  /**
   * Watchdog: a job with no progress for JOB_STALL_SECONDS is re-driven by a new Workflow attempt
   * that resumes from the room's checkpoints; after JOB_MAX_ATTEMPTS it is failed and its
   * resources released.
   */
  override async alarm(): Promise<void> {
    if (this.isDone() || !this.job()) return;
    const stall = stallMs(this.env);
    const last = readEvents(this.ctx.storage.sql, 0).at(-1);
    const progress = Math.max(last ? Date.parse(last.at) : 0, lastCheckpointAt(this.ctx.storage.sql));
    const idle = Date.now() - progress;
    if (idle < stall) {
      await this.ctx.storage.setAlarm(Date.now() + stall - idle);
      return;
    }
    const attempt = getValue<number>(this.ctx.storage.sql, "attempt") ?? 1;
    const seconds = Math.round(stall / 1000);
    if (attempt < maxAttempts(this.env)) {
      await this.stopWorkflow();
      const phase = snapshot(this.job() as JobRecord, readEvents(this.ctx.storage.sql, 0)).phase;
      const message = `No progress for ${seconds} s; resuming the job (attempt ${attempt + 1}).`;
      this.push(
        { type: "status", data: { phase: phase === "done" ? "working" : phase, message } },
        `attempt ${attempt + 1}`,
      );
      await this.startAttempt(attempt + 1);
      return;
    }
    await this.stopEverything();
    await this.finish("failed", {
      error: {
        code: "stalled",
        message: `The job made no progress for ${seconds} seconds, ${attempt} times, and was stopped.`,
      },
    });
  }

  private push(event: JobEvent, key: string | null): LoggedEvent | null {
    if (!this.exists() || this.isDone()) return null;
    const logged = appendEvent(this.ctx.storage.sql, event, key);
    if (!logged) return null;
    this.subscribers.publish(logged);
    this.slackThreadOf()?.notify(logged);
    // Output gates hold the response until this write lands; no need to await it here.
    if (event.type !== "done") void this.ctx.storage.setAlarm(Date.now() + stallMs(this.env));
    return logged;
  }

  private slackThreadOf(): SlackThread | null {
    if (this.slackThread === undefined) {
      const job = this.job();
      this.slackThread = job ? openSlackThread(this.env, this.ctx.storage.sql, job) : null;
    }
    return this.slackThread;
  }

  private isDone(): boolean {
    if (!this.exists()) return false;
    return this.ctx.storage.sql.exec("SELECT 1 FROM events WHERE type = 'done' LIMIT 1").toArray().length > 0;
  }

  private async stopWorkflow(): Promise<void> {
    const workflowId = await this.recall("workflowId");
    if (workflowId) {
      try {
        await (await this.env.CODE_JOB.get(workflowId)).terminate();
      } catch (error) {
        // Already finished or never started: nothing left to stop.
        console.warn("workflow terminate:", String(error));
      }
    }
  }

  private async stopEverything(): Promise<void> {
    await this.stopWorkflow();
    const sandboxId = await this.recall("sandboxId");
    if (sandboxId) {
      try {
        await deps(this.env).sandboxes.terminate(sandboxId);
        await this.remember("sandboxId", null);
      } catch (error) {
        console.error("sandbox terminate failed; the janitor will retry:", String(error));
      }
    }
  }
}
