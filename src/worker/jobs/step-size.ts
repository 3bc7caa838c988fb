/**
 * The size bound on a Workflow step's result. Workflows keep at most 1 MiB per step result; the
 * local engine only fails far past that
 * (SQLite's own limit), so results are measured here and a step that would break production
 * fails the same way everywhere. Results are meant to be ids and small metadata.
 */
import { StepResultTooLarge } from "../errors";

/** Workflows' cap on one step result. */
export const MAX_STEP_RESULT_BYTES = 1024 * 1024;

const encoder = new TextEncoder();

/** The result's size as the room stores it (JSON, UTF-8). */
export function stepResultBytes(value: unknown): number {
  return encoder.encode(JSON.stringify({ value }) ?? "").length;
}

/** Throws `StepResultTooLarge` when `value` is over `MAX_STEP_RESULT_BYTES`. */
export function checkStepResult(name: string, value: unknown): void {
  const bytes = stepResultBytes(value);
  if (bytes > MAX_STEP_RESULT_BYTES) throw new StepResultTooLarge(name, bytes, MAX_STEP_RESULT_BYTES);
}
