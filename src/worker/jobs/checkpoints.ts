/**
 * Step results kept in the JobRoom, so a new Workflow attempt at a job resumes where the last one
 * stopped (DESIGN.md decision 5): every `step.do` of an attempt first asks the room, and a result
 * the room already holds is replayed instead of running the step again. Replaying the agent's
 * model and tool steps rebuilds its transcript and usage exactly; events keep their dedupe keys.
 */
import type { WorkflowStep } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import { checkStepResult } from "./step-size";

/** Creates the checkpoint table (IF NOT EXISTS: safe to repeat), with the log's tables. */
export function migrateCheckpoints(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS checkpoints (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    at INTEGER NOT NULL
  )`);
}

/** The saved result of step `name`, wrapped so a saved `undefined` differs from none. */
export function readCheckpoint(sql: SqlStorage, name: string): { value: unknown } | null {
  const row = sql.exec<{ value: string }>("SELECT value FROM checkpoints WHERE name = ?", name).toArray()[0];
  return row ? (JSON.parse(row.value) as { value: unknown }) : null;
}

/** Saves step `name`'s result; the first save wins, as with the Workflow engine's own cache. */
export function writeCheckpoint(sql: SqlStorage, name: string, value: unknown): void {
  sql.exec(
    "INSERT INTO checkpoints (name, value, at) VALUES (?, ?, ?) ON CONFLICT(name) DO NOTHING",
    name,
    JSON.stringify({ value }),
    Date.now(),
  );
}

/** When the last checkpoint was saved (ms since epoch), or 0. */
export function lastCheckpointAt(sql: SqlStorage): number {
  const row = sql.exec<{ at: number | null }>("SELECT MAX(at) AS at FROM checkpoints").toArray()[0];
  return row?.at ?? 0;
}

/** What `resumableStep` needs from the JobRoom. */
export interface CheckpointStore {
  checkpoint(name: string): Promise<{ value: unknown } | null>;
  saveCheckpoint(name: string, value: unknown): Promise<void>;
}

/** The engine's `step`, called loosely: it may be an RPC stub, which has no `bind`. */
type LooseStep = {
  do(name: string, ...rest: unknown[]): Promise<unknown>;
  waitForEvent(name: string, options: unknown): Promise<unknown>;
};

/**
 * Wraps an attempt's `step` so each `do` replays the room's saved result when there is one, and
 * saves a fresh result before returning it. Names are counted as the engine counts them, so a
 * name used twice in one run maps to two checkpoints. A result over the 1 MiB Workflows keep fails
 * its step at once (step-size.ts), locally as in production.
 */
export function resumableStep(step: WorkflowStep, store: CheckpointStore): WorkflowStep {
  const seen = new Map<string, number>();
  const run = async (name: string, ...rest: unknown[]): Promise<unknown> => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    const key = n === 1 ? name : `${name}#${n}`;
    const saved = await store.checkpoint(key);
    if (saved) return saved.value;
    const callback = rest.at(-1);
    if (typeof callback === "function") {
      rest[rest.length - 1] = async (...args: unknown[]) => {
        const value: unknown = await callback(...args);
        try {
          checkStepResult(name, value);
        } catch (error) {
          // No retry can shrink it.
          throw new NonRetryableError(error instanceof Error ? error.message : String(error));
        }
        return value;
      };
    }
    const value = await (step as unknown as LooseStep).do(name, ...rest);
    await store.saveCheckpoint(key, value);
    return value;
  };
  return {
    do: run,
    sleep: (name: string, duration: Parameters<WorkflowStep["sleep"]>[1]) => step.sleep(name, duration),
    sleepUntil: (name: string, timestamp: Date | number) => step.sleepUntil(name, timestamp),
    waitForEvent: (name: string, options: unknown) =>
      (step as unknown as LooseStep).waitForEvent(name, options),
  } as unknown as WorkflowStep;
}
