/**
 * The job history row as a projection of the JobRoom's log (jobs/projection.ts): the `job` event
 * writes the row, `done` completes it. The log stays the source of truth; a D1 failure is logged
 * and never fails or stalls the job. What was written is kept in the storage the room lends, so a
 * missed write is tried again at the job's next event (and, by then, a few times in the
 * background); the end write is an upsert, so a job whose start write was lost still gets its row.
 */
import type { LoggedEvent } from "../../protocol/events";
import type { JobRecord } from "../jobs/log";
import type { Projection, ProjectionFactory } from "../jobs/projection";
import { log } from "../log";
import { type HistoryEnd, type HistoryStart, recordEnd, recordStart } from "./store";

const STATE_KEY = "history";
/** Waits before the background retries of a failed write; past them, the next event retries. */
const RETRY_DELAYS_MS = [500, 2_000, 8_000];

interface HistoryState {
  started: boolean;
  ended: boolean;
}

export const historyProjection: ProjectionFactory = ({ env, job, events, load, save }) => {
  // A deployment without the binding (an old wrangler.toml) keeps working, without history.
  if (!env.DB) return null;
  return new HistoryProjection(
    env.DB,
    job,
    events,
    () => load<HistoryState>(STATE_KEY),
    (s) => save(STATE_KEY, s),
  );
};

/** What the row says before the job ends. */
export function startOf(job: JobRecord): HistoryStart {
  return {
    id: job.jobId,
    // Jobs accepted before JobRecord had a tenant: their requester is the best name there is.
    tenant: job.tenant ?? job.requester ?? "unknown",
    requester: job.requester ?? null,
    repo: job.repo,
    prompt: job.prompt,
    createdAt: job.createdAt,
    followUpOf: job.followUp?.of ?? null,
  };
}

/** The outcome, from the `done` event and the last `error` before it. */
export function endOf(log: LoggedEvent[]): HistoryEnd | null {
  const done = log.findLast((e) => e.type === "done");
  if (done?.type !== "done") return null;
  const error = log.findLast((e) => e.type === "error");
  return {
    status: done.data.status,
    errorCode: error?.type === "error" ? error.data.code : null,
    prUrl: done.data.prUrl ?? null,
    usage: done.data.usage,
    finishedAt: done.at,
  };
}

class HistoryProjection implements Projection {
  /** A catch-up is running; `again`: an event came meanwhile, so one more follows it. */
  private running = false;
  private again = false;
  /** `done` was logged: only then is the log read (it is the last event; before it, there is no end). */
  private ended = false;

  constructor(
    private readonly db: D1Database,
    private readonly job: JobRecord,
    private readonly events: () => LoggedEvent[],
    private readonly load: () => HistoryState | null,
    private readonly save: (state: HistoryState) => void,
  ) {}

  notify(event: LoggedEvent): void {
    if (event.type === "done") this.ended = true;
    // Each event asks for whatever is not written yet. One catch-up at a time, and events that
    // arrive during one are coalesced into a single next one, so an outage queues no backlog.
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.catchUp(0);
      } while (this.again);
    } catch (error) {
      // Only the room's own storage can throw here (catchUp catches D1's errors); the next event retries.
      log.error("job history: the room's storage failed; the next event tries again", {
        job_id: this.job.jobId,
        error,
      });
    } finally {
      this.running = false;
    }
  }

  private async catchUp(attempt: number): Promise<void> {
    const state = this.load() ?? { started: false, ended: false };
    if (state.ended) return;
    const end = this.ended ? endOf(this.events()) : null;
    try {
      if (end) {
        await recordEnd(this.db, startOf(this.job), end);
        this.save({ started: true, ended: true });
      } else if (!state.started) {
        await recordStart(this.db, startOf(this.job));
        this.save({ started: true, ended: false });
      }
    } catch (error) {
      const delay = RETRY_DELAYS_MS[attempt];
      log.error(`job history: the ${end ? "end" : "start"} write failed`, {
        job_id: this.job.jobId,
        retry: delay === undefined ? "at the next event" : `in ${delay} ms`,
        error,
      });
      if (delay === undefined) return;
      await new Promise((resolve) => setTimeout(resolve, delay));
      await this.catchUp(attempt + 1);
    }
  }
}
