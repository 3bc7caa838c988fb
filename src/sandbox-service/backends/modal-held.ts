/**
 * A Modal sandbox as the Modal backend holds it for a job, and the two things done to one: work
 * tracked so a terminate waits for it (and work that a terminate overtook answers 404), and an
 * idempotent terminate (one already gone at Modal counts as terminated).
 */
import type { Sandbox } from "modal";
import type { SandboxInfo } from "../../protocol/sandbox";
import { ServiceError } from "../errors";
import type { HeldClone, SandboxState } from "../sandbox-state";
import { isNotFound, modalFailure } from "./modal-lookup";

export interface ModalSandbox extends HeldClone {
  info: SandboxInfo;
  sandbox: Sandbox;
  state: SandboxState;
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
