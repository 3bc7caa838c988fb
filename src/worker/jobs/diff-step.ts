/**
 * The job's diff, stored in its JobRoom once when publishing starts, for `GET /jobs/:id/diff` and
 * the job's page. The sandbox service makes it with git (the staged tree the PR is built from) and
 * bounds it; the text goes from the service to the room inside one step, whose result is only its
 * size, so the Workflow never keeps it. The diff is for people: a failure to read or store it is
 * logged and the job publishes as it would without it.
 */

import type { WorkflowStep } from "cloudflare:workers";
import type { Deps } from "../deps";
import { SandboxError } from "../errors";
import { log } from "../log";
import { stepSpan } from "../telemetry/step-span";
import { isSuperseded } from "./attempt";
import { messageOf } from "./durable";
import { SUPERSEDED } from "./room-types";

type DiffOutcome =
  | { stored: true; chars: number; truncated: boolean }
  | { stored: false; reason: string }
  | { superseded: true };

/** Few retries and a short timeout: a diff that will not come must not hold up the PR. */
const DIFF_STEP = {
  retries: { limit: 2, delay: "1 second", backoff: "exponential" },
  timeout: "5 minutes",
} as const;

/** Reads the diff of `sandboxId` against `baseSha` and hands it to `save` (the room, attempt-checked). */
export async function storeDiff(
  step: WorkflowStep,
  deps: Deps,
  sandboxId: string,
  baseSha: string,
  save: (diff: string) => Promise<void>,
): Promise<void> {
  let outcome: DiffOutcome;
  try {
    outcome = await step.do(
      "diff",
      DIFF_STEP,
      stepSpan("diff", "sandbox", async (): Promise<DiffOutcome> => {
        let diff: { diff: string; truncated: boolean };
        try {
          diff = await deps.sandboxes.diff(sandboxId, baseSha);
        } catch (error) {
          // A refusal (an older service without the route, say) is final: no retry changes it.
          if (error instanceof SandboxError && !error.retryable)
            return { stored: false, reason: messageOf(error) };
          throw error;
        }
        try {
          await save(diff.diff);
        } catch (error) {
          if (isSuperseded(error)) return { superseded: true };
          throw error;
        }
        return { stored: true, chars: diff.diff.length, truncated: diff.truncated };
      }),
    );
  } catch (error) {
    outcome = { stored: false, reason: messageOf(error) };
  }
  if ("superseded" in outcome) throw new Error(SUPERSEDED);
  // The sandbox is addressed by its job's id.
  if (!outcome.stored)
    log.warn("the job's diff was not stored; publishing goes on", {
      job_id: sandboxId,
      reason: outcome.reason,
    });
}
