/**
 * How a job ends: what the attempt (or the room itself) reports, and the `done` event's data the
 * room logs from it, usage completed with the job's wall-clock duration.
 */
import type { JobStatus, Usage } from "../../protocol/events";
import { log } from "../log";
import { withJobTrace } from "../telemetry/job-trace";
import type { JobRecord } from "./log";

export interface Ending {
  prUrl?: string;
  usage?: Partial<Usage>;
  error?: { code: string; message: string };
  /** False when the attempt could not terminate the sandbox: the room retries. */
  sandboxFreed?: boolean;
}

/** The `done` event's data for `status`. */
export function doneData(status: JobStatus, ending: Ending, job: JobRecord | null, now = Date.now()) {
  const usage: Usage = {
    steps: ending.usage?.steps ?? 0,
    promptTokens: ending.usage?.promptTokens ?? 0,
    completionTokens: ending.usage?.completionTokens ?? 0,
    durationMs: job ? now - Date.parse(job.createdAt) : 0,
    ...(ending.usage?.costUsd === undefined ? {} : { costUsd: ending.usage.costUsd }),
  };
  return ending.prUrl ? { status, prUrl: ending.prUrl, usage } : { status, usage };
}

/** The one line that says how a job ended: what an operator filters on first (with its trace). */
export function logJobEnd(job: JobRecord | null, status: JobStatus, ending: Ending, usage: Usage): void {
  withJobTrace(job ?? {}, () =>
    log[status === "succeeded" ? "info" : "warn"]("job finished", {
      job_id: job?.jobId,
      status,
      error_code: ending.error?.code,
      error: ending.error?.message,
      pr_url: ending.prUrl,
      ...usage,
    }),
  );
}
