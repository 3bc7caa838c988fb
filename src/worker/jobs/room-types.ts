/**
 * What the JobRoom and its callers share: what an attempt gets when it starts, the refusal a
 * replaced attempt receives, and what the Worker's entry point wires into the room.
 */

import type { LivenessConfig } from "./liveness";
import type { JobRecord } from "./log";
import type { AgentState, JobSetup } from "./progress";
import type { ProjectionFactory } from "./projection";
import type { Reaper } from "./reaper";

/** What an attempt gets when it starts: the job and everything saved so far. */
export interface Resume {
  job: JobRecord;
  setup: JobSetup | null;
  agent: AgentState | null;
}

/** Thrown (over RPC) at an attempt the room has replaced; that attempt must stop quietly. */
export const SUPERSEDED = "superseded attempt";

/** The parts of the room's environment it needs; the Worker's `JobRoom` class supplies them. */
export interface RoomWiring {
  liveness(env: Env): LivenessConfig;
  reaper(env: Env): Reaper;
  projections: ProjectionFactory[];
}
