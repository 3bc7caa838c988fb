/**
 * Liveness by heartbeat: while an attempt runs it beats every `heartbeatMs` (model calls and
 * commands included, however long), so silence means its runtime died — a restart, a deploy, an
 * evicted isolate — and the JobRoom's alarm starts the next attempt after `stallMs`, not after
 * the job's longest legitimate step. Pure decisions here; the room does the I/O.
 */
import { configOf } from "../config";

export interface LivenessConfig {
  heartbeatMs: number;
  /** Silence after which the running attempt counts as dead. Greater than `heartbeatMs`. */
  stallMs: number;
  maxAttempts: number;
}

export type Verdict =
  | { kind: "alive"; checkAt: number }
  | { kind: "retry"; attempt: number }
  | { kind: "give-up"; attempts: number };

/** What the watchdog does at `now`, given the last beat of attempt `attempt`. */
export function judge(now: number, lastBeat: number, attempt: number, config: LivenessConfig): Verdict {
  const due = lastBeat + config.stallMs;
  if (now < due) return { kind: "alive", checkAt: due };
  if (attempt < config.maxAttempts) return { kind: "retry", attempt: attempt + 1 };
  return { kind: "give-up", attempts: attempt };
}

/** The Workflow instance id of attempt `n` at a job: derived, never stored. */
export function workflowId(jobId: string, attempt: number): string {
  return `${jobId}_${attempt}`;
}

/** JOB_HEARTBEAT_SECONDS, JOB_STALL_SECONDS and JOB_MAX_ATTEMPTS, from the validated config. */
export function livenessConfig(env: Env): LivenessConfig {
  return configOf(env).liveness;
}
