/**
 * Durable steps for the CodeJob Workflow. Each step's result is saved by the Workflow engine, so a
 * replayed run reuses it. Faults that a retry can fix are retried with backoff; refusals (a 4xx,
 * a JobError, a non-retryable sandbox error) end the job at once with a clear message instead.
 * Model and GitHub failures carry their cause (unreachable, 401, 404, rate limited, 5xx).
 */

import type { WorkflowStep, WorkflowStepConfig } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import { STEP_TIMEOUT_SECONDS } from "../config";
import { JobError, ModelError, SandboxError, StepResultTooLarge } from "../errors";
import { describeGitHubFailure } from "../github/failure";
import { redact } from "../redact";
import { stepSpan } from "../telemetry/step-span";
import { checkStepResult } from "./step-size";

type Outcome<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

/** What a step talks to, for the error code and message when it fails for good. */
export type StepKind = "model" | "sandbox" | "github" | "internal";

export const RETRIES = {
  retries: { limit: 4, delay: "1 second", backoff: "exponential" },
  // Long enough for the longest command a request may ask for (config.ts checks the ceiling).
  timeout: `${STEP_TIMEOUT_SECONDS} seconds`,
} satisfies WorkflowStepConfig;

/** Runs `fn` as the Workflow step `name`; throws JobError when it fails for good. */
export async function durableStep<T>(
  step: WorkflowStep,
  name: string,
  kind: StepKind,
  fn: () => Promise<T>,
): Promise<T> {
  let outcome: Outcome<T>;
  const traced = stepSpan(name, kind, fn);
  try {
    outcome = (await step.do(name, RETRIES, async () => {
      try {
        const value = await traced();
        // Workflows keep at most 1 MiB a result; the local engine fails far later (step-size.ts).
        checkStepResult(name, value);
        return { ok: true, value } as Outcome<T> as Rpc.Serializable<Outcome<T>>;
      } catch (error) {
        // No retry can shrink a result: it ends the job with its reason.
        if (error instanceof StepResultTooLarge) {
          return { ok: false, code: "internal_error", message: error.message } as Rpc.Serializable<
            Outcome<T>
          >;
        }
        const refusal = asRefusal(error, kind);
        if (refusal) return refusal as Rpc.Serializable<Outcome<T>>;
        // Retried: with its cause named, so the last attempt's message says what kept failing.
        const described = describe(error);
        throw described ? new Error(described.message) : error;
      }
    })) as Outcome<T>;
  } catch (error) {
    if (error instanceof NonRetryableError) throw error;
    const attempts = RETRIES.retries.limit + 1;
    throw new JobError(
      `${kind}_error`,
      `${describeKind(kind)} kept failing (${attempts} attempts); the last: ${messageOf(error)}`,
    );
  }
  if (!outcome.ok) throw new JobError(outcome.code, outcome.message);
  return outcome.value;
}

/** A failure a retry cannot fix, as the job's error; null for one worth retrying. */
export function asRefusal(error: unknown, kind: StepKind): Outcome<never> | null {
  if (error instanceof JobError) return { ok: false, code: error.code, message: error.message };
  if (error instanceof SandboxError && !error.retryable) {
    return { ok: false, code: "sandbox_error", message: error.message };
  }
  const described = describe(error);
  if (described)
    return described.retryable ? null : { ok: false, code: `${kind}_error`, message: described.message };
  const status = statusOf(error);
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return {
      ok: false,
      code: `${kind}_error`,
      message: `${describeKind(kind)} refused: ${messageOf(error)}`,
    };
  }
  return null;
}

/** A model or GitHub failure with its cause named (model-failure.ts, github/failure.ts). */
export function describe(error: unknown): { message: string; retryable: boolean } | null {
  if (error instanceof ModelError) return { message: error.message, retryable: error.retryable };
  return describeGitHubFailure(error);
}

export function describeKind(kind: StepKind): string {
  return { model: "The model API", sandbox: "The sandbox service", github: "GitHub", internal: "A job step" }[
    kind
  ];
}

function statusOf(error: unknown): number | undefined {
  return typeof error === "object" && error !== null && "status" in error && typeof error.status === "number"
    ? error.status
    : undefined;
}

/** The error's message without stack, credentials or secrets-bearing request details. */
export function messageOf(error: unknown): string {
  return redact(error instanceof Error ? error.message : String(error)).slice(0, 500);
}
