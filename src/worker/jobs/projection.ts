/**
 * A projection renders a job's log somewhere else (the Slack thread). The JobRoom feeds each new
 * event to every projection and lends it a little storage of its own; projections never write the
 * log, so data flows one way. The room gets its projections from the Worker's entry point, so
 * `jobs/` never imports what renders it.
 */
import type { LoggedEvent } from "../../protocol/events";
import type { TurnRecord } from "../followups/types";
import { getValue, type JobRecord, readEvents, setValue } from "./log";
import { turnRecord } from "./turn-record";

export interface Projection {
  /** Takes one new event of the log; returns at once and never throws. */
  notify(event: LoggedEvent): void;
}

export interface ProjectionContext {
  env: Env;
  job: JobRecord;
  /** The whole log so far. */
  events(): LoggedEvent[];
  /** The job as a turn of its PR's conversation: summary, files, checks, usage (turn-record.ts). */
  turn(): TurnRecord;
  /** The projection's own durable values, beside the log (never the log itself). */
  load<T>(key: string): T | null;
  save(key: string, value: unknown): void;
}

/** Builds a job's projection, or null when it does not apply to the job. */
export type ProjectionFactory = (context: ProjectionContext) => Projection | null;

/** The job's projections, each given the log and its own storage in the room's SQLite. */
export function openProjections(
  factories: ProjectionFactory[],
  env: Env,
  job: JobRecord,
  sql: SqlStorage,
): Projection[] {
  return factories.flatMap((make) => {
    const view = make({
      env,
      job,
      events: () => readEvents(sql, 0),
      turn: () => turnRecord(sql, job),
      load: <T>(key: string) => getValue<T>(sql, key),
      save: (key: string, value: unknown) => setValue(sql, key, value),
    });
    return view ? [view] : [];
  });
}
