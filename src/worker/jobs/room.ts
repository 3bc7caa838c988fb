/**
 * JobRoom: one Durable Object per job, and the one place its state lives. It holds the event log
 * (SSE and the snapshot are read from it), the job's progress (setup and agent state, saved once a
 * turn by the running attempt), and the attempt's liveness. Data flows one way: the attempt calls
 * in; projections (the Slack thread) and SSE subscribers are fed from the log; nothing is kept
 * twice. The room builds no model or GitHub client: it only starts attempts and reaps the sandbox.
 */
import type { JobEvent, JobStatus, LoggedEvent } from "../../protocol/events";
import { log } from "../log";
import { endJobTrace, newTraceparent, withJobTrace } from "../telemetry/job-trace";
import { conversationOf, joinConversation, turnEnded } from "./conversation";
import { storeDiff } from "./diff-store";
import { doneData, type Ending, logJobEnd } from "./ending";
import { judge } from "./liveness";
import {
  appendEvent,
  getValue,
  hasEnded,
  type JobRecord,
  jobEventData,
  migrate,
  readEvents,
  setValue,
  snapshot,
} from "./log";
import { type JobSetup, loadAgentState, migrateProgress, saveTurn, type TurnSave } from "./progress";
import { ProjectionFeed } from "./projection-feed";
import { reapDelayMs, retryReap, terminateOnce } from "./reaper";
import { JobRoomTickets } from "./room-tickets";
import { type Resume, type RoomWiring, SUPERSEDED } from "./room-types";
import { backlogTaken, Subscribers, serveEvents } from "./sse";
import { turnState } from "./turn-record";
import { createAttempt, terminateAttempt } from "./workflow-instance";

/** How long a new job's start waits at most for its stream's reader (one that never reads). */
const START_AFTER_MS = 1_000;

export abstract class JobRoomBase extends JobRoomTickets {
  private readonly subscribers = new Subscribers();
  private readonly feed = new ProjectionFeed(
    () => this.wiring.projections,
    this.env,
    this.ctx.storage.sql,
    () => this.job(),
  );
  /** When this instance last stored a beat (0: not yet). */
  private lastBeat = 0;
  protected abstract readonly wiring: RoomWiring;

  /** Records the job and its first events, then starts attempt 1; false when the room holds a job. */
  async init(job: JobRecord): Promise<boolean> {
    return this.accept(job, null);
  }

  /**
   * `init` and the job's event stream in one call (`POST /code`; a job the room holds already is
   * left as it is and streamed). The Workflow is created once the stream's reader has taken the
   * first events, not beside them; attempt 1 and its watchdog are stored before the answer leaves.
   */
  async open(job: JobRecord): Promise<Response> {
    const taken = backlogTaken(START_AFTER_MS);
    this.accept(job, taken.promise);
    return this.events(0, taken.resolve);
  }

  /** `init`'s work; attempt 1 (or the follow-up's turn) and the projections wait for `after`. */
  private accept(job: JobRecord, after: Promise<void> | null): boolean {
    const sql = this.ctx.storage.sql;
    migrate(sql);
    migrateProgress(sql);
    if (getValue<JobRecord>(sql, "job")) return false;
    // The job's trace starts with it, ids and all: every attempt's spans parent to this root.
    setValue(sql, "job", { ...job, traceparent: job.traceparent ?? newTraceparent() });
    // With `after`, the projections (the history row's write) hear of the events after it too.
    if (after) this.feed.hold();
    this.push({ type: "job", data: jobEventData(job) }, "job");
    this.push({ type: "status", data: { phase: "queued", message: "Job accepted" } }, "queued");
    log.info("job accepted", { job_id: job.jobId, repo: job.repo, requester: job.requester });
    // Off the caller's path: the first events are logged, and the room owns the job from here.
    // A follow-up starts when its PR's PullRoom says so: now, or after the running turn (release).
    const conversation = this.conversation();
    const begin = () =>
      conversation
        ? joinConversation(conversation, {
            jobId: job.jobId,
            start: () => this.release(),
            queued: () => turnState(sql) === "queued",
            waiting: (message) =>
              this.push({ type: "status", data: { phase: "queued", message } }, "waiting"),
            fail: (message) => this.endHere("failed", { code: "internal_error", message }),
          })
        : this.startAttempt(1);
    // Stored with the job: should the create never happen (the room restarted), the watchdog retries.
    if (!conversation) this.arm(1);
    this.ctx.waitUntil(after ? after.then(() => this.feed.release()).then(begin) : begin());
    return true;
  }

  /** The PullRoom starts a queued follow-up; a job that started or ended already ignores it. */
  async release(): Promise<void> {
    if (this.job() && turnState(this.ctx.storage.sql) === "queued") await this.startAttempt(1);
  }

  /** The running attempt starts here: its job and saved progress, or SUPERSEDED. */
  async begin(attempt: number): Promise<Resume> {
    const job = this.current(attempt);
    return {
      job,
      setup: getValue<JobSetup>(this.ctx.storage.sql, "setup"),
      agent: loadAgentState(this.ctx.storage.sql),
    };
  }

  /** The attempt is alive (a model call or a command may be in flight). */
  async heartbeat(attempt: number): Promise<void> {
    this.current(attempt);
  }

  /** Appends an event from the attempt; a repeated `key` is a no-op. */
  async append(attempt: number, event: JobEvent, key: string): Promise<number | null> {
    const job = this.current(attempt);
    // The PR a first turn opened becomes a conversation before anyone can see its number.
    if (event.type === "pr" && !job.followUp)
      await conversationOf(this.env, job.repo, event.data.number).opened(job.jobId);
    return this.push(event, key)?.seq ?? null;
  }

  async saveSetup(attempt: number, setup: JobSetup): Promise<void> {
    this.current(attempt);
    setValue(this.ctx.storage.sql, "setup", setup);
  }

  /** The job's diff, when publishing starts (diff-store.ts). */
  async saveDiff(attempt: number, diff: string): Promise<void> {
    this.current(attempt);
    storeDiff(this.ctx.storage.sql, diff);
  }

  /** Saves the agent's state after a model reply, with that turn's events, in one call. */
  async saveTurn(attempt: number, save: TurnSave, events: { event: JobEvent; key: string }[]): Promise<void> {
    this.current(attempt);
    saveTurn(this.ctx.storage.sql, save);
    for (const e of events) this.push(e.event, e.key);
  }

  /** The attempt ends the job (its sandbox already terminated, or `sandboxFreed: false`). */
  async complete(attempt: number, status: JobStatus, ending: Ending): Promise<void> {
    this.current(attempt);
    await this.finish(status, ending);
  }

  /** Cancels a running job: stops its attempt, frees its sandbox, ends it `cancelled`. */
  async cancel(reason: string): Promise<"cancelled" | "already-done" | "unknown"> {
    if (!this.job()) return "unknown";
    if (hasEnded(this.ctx.storage.sql)) return "already-done";
    await this.endHere("cancelled", { code: "cancelled", message: reason });
    return "cancelled";
  }

  /** `GET /events?after=N`: replay then live, as SSE. */
  override async fetch(request: Request): Promise<Response> {
    const after = Number(new URL(request.url).searchParams.get("after") ?? "0");
    return this.events(Number.isInteger(after) && after >= 0 ? after : 0);
  }

  private events(after: number, sent?: () => void): Response {
    return serveEvents({
      after,
      read: (from) => readEvents(this.ctx.storage.sql, from),
      subscribers: this.subscribers,
      ...(sent ? { sent } : {}),
    });
  }

  /** Watchdog while the job runs; after it ended, the reaper's retries of a failed terminate. */
  override async alarm(): Promise<void> {
    if (!this.job()) return;
    if (hasEnded(this.ctx.storage.sql)) return retryReap(this.ctx.storage, () => this.reap());
    const config = this.wiring.liveness(this.env);
    const attempt = getValue<number>(this.ctx.storage.sql, "attempt") ?? 1;
    const lastBeat = getValue<number>(this.ctx.storage.sql, "beat") ?? 0;
    const verdict = judge(Date.now(), lastBeat, attempt, config);
    if (verdict.kind === "alive") {
      await this.ctx.storage.setAlarm(verdict.checkAt);
      return;
    }
    const silent = Math.round((Date.now() - lastBeat) / 1000);
    if (verdict.kind === "retry") {
      await this.stopAttempt();
      const phase = snapshot(this.job() as JobRecord, readEvents(this.ctx.storage.sql, 0)).phase;
      const message = `The job's runtime went silent for ${silent} s; resuming it (attempt ${verdict.attempt}).`;
      this.push(
        { type: "status", data: { phase: phase === "done" ? "working" : phase, message } },
        `attempt ${verdict.attempt}`,
      );
      await this.startAttempt(verdict.attempt);
      return;
    }
    await this.endHere("failed", {
      code: "stalled",
      message: `The job's runtime stopped ${verdict.attempts} times (no heartbeat for ${silent} s the last time), so the job was ended.`,
    });
  }

  /**
   * The room ends the job itself (cancel, the last stall, an attempt that cannot start): from here
   * on every attempt is superseded; its Workflow is stopped and the sandbox freed before `done`.
   */
  private async endHere(status: JobStatus, error: { code: string; message: string }): Promise<void> {
    setValue(this.ctx.storage.sql, "ending", true);
    await this.stopAttempt();
    await this.finish(status, { error, sandboxFreed: await this.reap() });
  }

  /** The job for the attempt that is current; SUPERSEDED for any other (or after the end). */
  private current(attempt: number): JobRecord {
    const job = this.job();
    const sql = this.ctx.storage.sql;
    const live = job && !hasEnded(this.ctx.storage.sql) && !getValue<boolean>(sql, "ending");
    if (!live || getValue<number>(sql, "attempt") !== attempt) throw new Error(SUPERSEDED);
    this.beat();
    return job;
  }

  /**
   * Every call of the current attempt counts as a heartbeat. On an agent step's path, so a beat
   * within half a heartbeat interval of the last one stored writes nothing: the stored beat is at
   * most that stale, well inside the stall window (config.ts keeps it above the interval).
   */
  private beat(force = false): void {
    const now = Date.now();
    const { heartbeatMs, stallMs } = this.wiring.liveness(this.env);
    if (!force && now - this.lastBeat < heartbeatMs / 2) return;
    this.lastBeat = now;
    setValue(this.ctx.storage.sql, "beat", now);
    // Output gates hold the reply until this write lands; no need to await it.
    void this.ctx.storage.setAlarm(now + stallMs);
  }

  /** Stores `n` as the current attempt; a new attempt gets a whole stall window to start in. */
  private arm(n: number): void {
    setValue(this.ctx.storage.sql, "attempt", n);
    this.beat(true);
  }

  /** Starts Workflow attempt `n`; a job that cannot start ends failed. */
  private async startAttempt(n: number): Promise<void> {
    const job = this.job();
    if (!job || hasEnded(this.ctx.storage.sql)) return;
    this.arm(n);
    if (!(await createAttempt(this.env, job.jobId, n)))
      await this.endHere("failed", { code: "internal_error", message: "The job could not be started." });
  }

  private async finish(status: JobStatus, ending: Ending): Promise<void> {
    if (hasEnded(this.ctx.storage.sql)) return;
    if (ending.error) this.push({ type: "error", data: ending.error }, "error");
    const job = this.job();
    const done = doneData(status, ending, job);
    this.push({ type: "done", data: done }, "done");
    if (job) endJobTrace(this.env, this.ctx, job, status, ending);
    logJobEnd(job, status, ending, done.usage);
    // The PR's next turn may start.
    if (job) turnEnded(this.conversation(), job.jobId);
    if (ending.sandboxFreed === false) {
      setValue(this.ctx.storage.sql, "reapTries", 0);
      await this.ctx.storage.setAlarm(Date.now() + reapDelayMs(0));
    } else await this.ctx.storage.deleteAlarm();
  }

  /** Terminates the job's sandbox (addressed by job id); false when the service failed. */
  private async reap(): Promise<boolean> {
    const job = this.job();
    return job ? withJobTrace(job, () => terminateOnce(this.wiring.reaper(this.env), job.jobId)) : true;
  }

  /** Stops the current attempt's Workflow instance; earlier ones were stopped when replaced. */
  private async stopAttempt(): Promise<void> {
    const job = this.job();
    const attempt = getValue<number>(this.ctx.storage.sql, "attempt");
    if (job && attempt) await terminateAttempt(this.env, job.jobId, attempt);
  }

  private push(event: JobEvent, key: string | null): LoggedEvent | null {
    if (hasEnded(this.ctx.storage.sql)) return null;
    const logged = appendEvent(this.ctx.storage.sql, event, key);
    if (!logged) return null;
    this.subscribers.publish(logged);
    this.feed.notify(logged);
    return logged;
  }
}
