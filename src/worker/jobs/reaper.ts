/**
 * Who frees a job's sandbox (addressed by its job id), in order: the attempt's cleanup step before
 * `done`; when that fails, or the room itself ends the job (cancel, the last stall), the JobRoom,
 * retrying on its alarm with backoff; past the last retry, the cron janitor, which terminates the
 * sandboxes of every ended or unknown job. `terminate` is idempotent: a gone sandbox is freed.
 */
import { log } from "../log";

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
