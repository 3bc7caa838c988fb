/**
 * How the agent's model calls and tool calls run inside an attempt: not as Workflow steps, since
 * their results are already kept once elsewhere — the model's reply in the JobRoom's saved turn,
 * a command's result in the sandbox service's exec record (its idempotency key) — and a step would
 * store each a second time (and cost a step's persistence on every agent step). Faults get the
 * same treatment as a durable step: refusals end the job at once with their cause, transient
 * faults are retried with exponential backoff, and the last failure names what kept failing.
 * The attempt's heartbeat runs throughout, so a long call is never taken for a dead runtime.
 */
import { JobError } from "../errors";
import { asRefusal, describe, describeKind, messageOf, RETRIES, type StepKind } from "./durable";

const BASE_DELAY_MS = 1_000;

/** Runs `fn`, retrying transient faults as `durableStep` would; throws JobError when it fails for good. */
export async function turnCall<T>(kind: StepKind, fn: () => Promise<T>): Promise<T> {
  const attempts = RETRIES.retries.limit + 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const refusal = asRefusal(error, kind);
      if (refusal && !refusal.ok) throw new JobError(refusal.code, refusal.message);
      if (attempt >= attempts) {
        const last = describe(error)?.message ?? messageOf(error);
        throw new JobError(
          `${kind}_error`,
          `${describeKind(kind)} kept failing (${attempts} attempts); the last: ${last}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, BASE_DELAY_MS * 2 ** (attempt - 1)));
    }
  }
}
