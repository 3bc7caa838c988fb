/**
 * A Modal sandbox as the Modal backend holds it for a job, and the two things done to one: work
 * tracked so a terminate waits for it (and work that a terminate overtook answers 404), and an
 * idempotent terminate (one already gone at Modal counts as terminated); and how one is taken up
 * with its records.
 */
import { join } from "node:path";
import type { Sandbox } from "modal";
import type { SandboxEnvironment, SandboxInfo } from "../../protocol/sandbox";
import { EnvironmentPhase } from "../env-phase";
import { ServiceError } from "../errors";
import { sandboxName } from "../job-name";
import { type HeldClone, heldClone, SandboxState } from "../sandbox-state";
import { isNotFound, modalFailure } from "./modal-lookup";

export interface ModalSandbox extends HeldClone {
  info: SandboxInfo;
  sandbox: Sandbox;
  state: SandboxState;
  /** Its environment (warm or not, the cache key) and phase, recorded beside `state`. */
  phase: EnvironmentPhase;
  terminated: boolean;
  inFlight: Set<Promise<unknown>>;
}

/** Runs `work` for a sandbox; when the sandbox is terminated meanwhile, the answer is a 404. */
export async function track<T>(held: ModalSandbox, work: Promise<T>): Promise<T> {
  held.inFlight.add(work);
  try {
    const value = await work;
    if (held.terminated) throw new ServiceError(404, "sandbox not found", "terminated during the request");
    return value;
  } catch (error) {
    if (held.terminated) throw new ServiceError(404, "sandbox not found", "terminated during the request");
    throw modalFailure(error);
  } finally {
    held.inFlight.delete(work);
  }
}

export async function terminateIdempotently(sandbox: Sandbox): Promise<void> {
  try {
    await sandbox.terminate();
  } catch (error) {
    if (!isNotFound(error)) throw error;
    // Already gone at Modal (ended meanwhile, or by its own timeout): nothing to terminate.
  }
}

/** What a just-created sandbox records of its environment. */
export interface FreshSandbox {
  environment?: SandboxEnvironment;
  warm: boolean;
  notes: string[];
}

/**
 * `sandbox` as `jobId`'s, with the records `stateDir` has of it (its clone, its phase); a `fresh`
 * one gets new records: any left are of an earlier sandbox of the job.
 */
export async function withRecords(
  stateDir: string,
  jobId: string,
  sandbox: Sandbox,
  fresh?: FreshSandbox,
): Promise<ModalSandbox> {
  const state = new SandboxState(join(stateDir, sandboxName(jobId)));
  if (fresh) await state.remove();
  const meta = (fresh ? undefined : await state.meta()) ?? { jobId, createdAt: new Date().toISOString() };
  await state.init(meta);
  const phase = fresh
    ? await EnvironmentPhase.create(state.dir, fresh.environment, fresh.warm, fresh.notes)
    : await EnvironmentPhase.load(state.dir);
  const info: SandboxInfo = {
    id: jobId,
    jobId,
    backend: "modal",
    createdAt: meta.createdAt,
    ...phase.infoFields(),
  };
  return {
    info,
    sandbox,
    state,
    phase,
    terminated: false,
    inFlight: new Set(),
    ...heldClone(await state.clone()),
  };
}
