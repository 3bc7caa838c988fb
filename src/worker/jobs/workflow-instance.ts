/**
 * The JobRoom's two calls on the CodeJob Workflow: create attempt `n` (its instance id derived,
 * liveness.ts `workflowId`) and terminate it. Terminating is best effort: an instance that already
 * finished, never started, or (under `wrangler dev` after a restart) cannot be reached is logged.
 */
import { log } from "../log";
import { workflowId } from "./liveness";

/** Creates attempt `n` of job `jobId`; false (logged) when the Workflow refused. */
export async function createAttempt(env: Env, jobId: string, n: number): Promise<boolean> {
  try {
    await env.CODE_JOB.create({ id: workflowId(jobId, n), params: { jobId, attempt: n } });
    return true;
  } catch (error) {
    log.error("workflow create failed", { job_id: jobId, attempt: n, error });
    return false;
  }
}

export async function terminateAttempt(env: Env, jobId: string, attempt: number): Promise<void> {
  try {
    await (await env.CODE_JOB.get(workflowId(jobId, attempt))).terminate();
  } catch (error) {
    log.warn("workflow terminate failed", { job_id: jobId, attempt, error });
  }
}
