/**
 * A Modal sandbox's network around its clone: the clone URL's host let through the allowlist for
 * the clone's duration when it is not on it already (the Worker's git proxy, for a private
 * repository), and, with `SANDBOX_NETWORK=clone-only`, no network at all once the clone is done.
 */
import { isIP } from "node:net";
import type { Sandbox } from "modal";
import type { CloneRequest, CloneResult } from "../../protocol/sandbox";
import type { ModalBackendOptions } from "./modal-config";
import { modalClone } from "./modal-ops";
import type { CloneAuth } from "./types";

type NetworkOptions = Pick<ModalBackendOptions, "network" | "allowedDomains">;

export async function cloneThrough(
  sandbox: Sandbox,
  request: CloneRequest,
  options: NetworkOptions,
  auth?: CloneAuth,
): Promise<CloneResult> {
  const { network, allowedDomains } = options;
  const host = new URL(request.url).hostname.replace(/^\[|\]$/g, "");
  const widen =
    network !== "open" && !allowedDomains.includes(host) && new URL(request.url).protocol !== "file:";
  if (!widen) return modalClone(sandbox, request, auth);
  const ip = isIP(host);
  await sandbox.updateNetworkPolicy({
    outboundCidrAllowlist: ip ? [`${host}/${ip === 4 ? 32 : 128}`] : [],
    outboundDomainAllowlist: ip ? allowedDomains : [...allowedDomains, host],
  });
  try {
    return await modalClone(sandbox, request, auth);
  } finally {
    await sandbox.updateNetworkPolicy({ outboundCidrAllowlist: [], outboundDomainAllowlist: allowedDomains });
  }
}

/** With `clone-only`, the sandbox loses all network once its clone is in. */
export async function closeAfterClone(sandbox: Sandbox, options: NetworkOptions): Promise<void> {
  if (options.network !== "clone-only") return;
  await sandbox.updateNetworkPolicy({ outboundCidrAllowlist: [], outboundDomainAllowlist: [] });
}
