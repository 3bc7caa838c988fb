/**
 * A Modal sandbox's network around its clone and in each phase: the clone URL's host let through
 * the allowlist while git talks to it when it is not on it already (the Worker's git proxy, for a
 * private repository); the setup phase gets the allowlist (also under `SANDBOX_NETWORK=clone-only`);
 * the agent phase the allowlist, or with `clone-only` no network at all once the clone is done.
 */
import { isIP } from "node:net";
import type { Sandbox } from "modal";
import type { CloneRequest, CloneResult } from "../../protocol/sandbox";
import type { ModalBackendOptions } from "./modal-config";
import { modalClone } from "./modal-ops";
import type { CloneAuth } from "./types";

type NetworkOptions = Pick<ModalBackendOptions, "network" | "allowedDomains">;

/** Runs `work` (git talking to `url`) with `url`'s host reachable, then puts the allowlist back. */
export async function withCloneHost<T>(
  sandbox: Sandbox,
  url: string,
  options: NetworkOptions,
  work: () => Promise<T>,
): Promise<T> {
  const { network, allowedDomains } = options;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  const widen = network !== "open" && !allowedDomains.includes(host) && new URL(url).protocol !== "file:";
  if (!widen) return work();
  const ip = isIP(host);
  await sandbox.updateNetworkPolicy({
    outboundCidrAllowlist: ip ? [`${host}/${ip === 4 ? 32 : 128}`] : [],
    outboundDomainAllowlist: ip ? allowedDomains : [...allowedDomains, host],
  });
  try {
    return await work();
  } finally {
    await sandbox.updateNetworkPolicy({ outboundCidrAllowlist: [], outboundDomainAllowlist: allowedDomains });
  }
}

export function cloneThrough(
  sandbox: Sandbox,
  request: CloneRequest,
  options: NetworkOptions,
  auth?: CloneAuth,
): Promise<CloneResult> {
  return withCloneHost(sandbox, request.url, options, () => modalClone(sandbox, request, auth));
}

/** With `clone-only`, the sandbox loses all network once its clone is in (unless its setup phase runs). */
export async function closeAfterClone(
  sandbox: Sandbox,
  options: NetworkOptions,
  inSetup = false,
): Promise<void> {
  if (options.network !== "clone-only" || inSetup) return;
  await sandbox.updateNetworkPolicy({ outboundCidrAllowlist: [], outboundDomainAllowlist: [] });
}

/**
 * The network of a phase: the setup phase has the allowlist (the package registries of
 * `SANDBOX_ALLOWED_DOMAINS` with it) under both restricted policies; the agent phase keeps the
 * allowlist, or nothing under `clone-only`. Only `clone-only` changes between phases: under
 * `allowlist` the sandbox has the allowlist from its creation on, and `open` has no policy.
 */
export async function networkForPhase(
  sandbox: Sandbox,
  options: NetworkOptions,
  phase: "setup" | "agent",
): Promise<void> {
  if (options.network !== "clone-only") return;
  await sandbox.updateNetworkPolicy({
    outboundCidrAllowlist: [],
    outboundDomainAllowlist: phase === "setup" ? options.allowedDomains : [],
  });
}
