/**
 * Who frees a job's sandbox (addressed by its job id), in order: the attempt's cleanup step before
 * `done`; when that fails, or the room itself ends the job (cancel, the last stall), the JobRoom,
 * retrying on its alarm with backoff; past the last retry, the cron janitor, which terminates the
 * sandboxes of every ended or unknown job. `terminate` is idempotent: a gone sandbox is freed.
 */
import { log } from "../log";
import { getValue, setValue } from "./log";

export interface Reaper {
  terminate(jobId: string): Promise<void>;
}

/** Delays of the room's retries after a failed terminate; 0 means "leave it to the janitor". */
const RETRY_DELAYS_MS = [5_000, 15_000, 60_000, 300_000, 900_000];

export function reapDelayMs(tries: number): number {
  return RETRY_DELAYS_MS[tries] ?? 0;
}

/** One terminate; false (logged) when the service failed, so the caller retries. */
export async function terminateOnce(reaper: Reaper, jobId: string): Promise<boolean> {
  try {
    await reaper.terminate(jobId);
    return true;
  } catch (error) {
    log.error("sandbox terminate failed; the room retries", { job_id: jobId, error });
    return false;
  }
}

/**
 * After `done`, while `reapTries` is kept the sandbox may still exist: one more `reap`, and on
 * failure the next retry on the room's alarm, with backoff.
 */
export async function retryReap(storage: DurableObjectStorage, reap: () => Promise<boolean>): Promise<void> {
  const tries = getValue<number>(storage.sql, "reapTries");
  if (tries === null) return;
  if (await reap()) {
    storage.sql.exec("DELETE FROM kv WHERE key = 'reapTries'");
    return;
  }
  setValue(storage.sql, "reapTries", tries + 1);
  const delay = reapDelayMs(tries + 1);
  // Past the last retry the janitor's cron sweep is what remains (README: reaper policy).
  if (delay > 0) await storage.setAlarm(Date.now() + delay);
}
