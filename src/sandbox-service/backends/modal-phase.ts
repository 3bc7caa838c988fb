/**
 * A held Modal sandbox through its phases: the clone (fresh, or on a warm sandbox the move of the
 * set-up repository to the job's branch), the setup phase (`environment/begin`: the allowlist,
 * also under `clone-only`) and the agent phase for good (`environment/ready`: the agent's
 * network, and on request the snapshot into the cache). The phase itself is env-phase.ts's,
 * recorded in the sandbox's state directory, so a restarted service keeps it.
 */
import type {
  CloneRequest,
  CloneResult,
  EnvironmentBegun,
  EnvironmentReady,
  SandboxEnvironment,
} from "../../protocol/sandbox";
import { redactUrl } from "../git-clone";
import { cloneOnce } from "../sandbox-state";
import type { ModalBackendOptions } from "./modal-config";
import type { ModalEnvironments } from "./modal-env";
import { type ModalSandbox, track } from "./modal-held";
import { cloneThrough, closeAfterClone, networkForPhase, withCloneHost } from "./modal-network";
import { modalWarmClone } from "./modal-warm";
import type { CloneAuth } from "./types";

type NetworkOptions = Pick<ModalBackendOptions, "network" | "allowedDomains">;

/** The sandbox's one clone (idempotent, recorded), through the network the clone URL needs. */
export function cloneHeld(
  held: ModalSandbox,
  request: CloneRequest,
  options: NetworkOptions,
  auth?: CloneAuth,
): Promise<CloneResult> {
  const { sandbox } = held;
  return cloneOnce(held, request, async () => {
    // A warm sandbox holds the set-up repository already: it moves to the job's branch instead.
    const cloning = held.phase.warm
      ? withCloneHost(sandbox, request.url, options, () => modalWarmClone(sandbox, request, auth))
      : cloneThrough(sandbox, request, options, auth);
    const base = await track(held, cloning);
    await held.state.saveClone({ url: redactUrl(request.url), requestedRef: request.ref, ...base });
    await closeAfterClone(sandbox, options, held.phase.network);
    return base;
  });
}

/** The setup phase: recorded first (409 once the agent phase is sealed), then its network. */
export async function beginSetup(held: ModalSandbox, options: NetworkOptions): Promise<EnvironmentBegun> {
  const begun = await held.phase.begin();
  await track(held, networkForPhase(held.sandbox, options, "setup"));
  return begun;
}

/** The agent phase for good, with the snapshot saved when asked; the agent's network in any case. */
export async function endSetup(
  held: ModalSandbox,
  options: NetworkOptions,
  environments: ModalEnvironments,
  save: boolean,
): Promise<EnvironmentReady> {
  const store = (environment: SandboxEnvironment) => environments.save(held.sandbox, environment);
  try {
    return await track(held, held.phase.ready(save, store));
  } finally {
    // Once sealed, also when the save failed: no later command gets the setup phase's network.
    if (!held.terminated && !held.phase.network) await networkForPhase(held.sandbox, options, "agent");
  }
}
