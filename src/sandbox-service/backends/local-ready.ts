/**
 * The local backend's readiness proof: `true` run in a real bubblewrap jail, the way every agent
 * command runs, in a throwaway workspace under the sandbox root. A bwrap that is missing, not
 * executable, or cannot make its namespaces here (a container without user namespaces, say) fails
 * it with bwrap's own message, so `/v1/ready` says why rather than only that it failed.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { checkBwrap, locateBwrap } from "../bwrap-path";
import { ServiceError } from "../errors";
import { execIsolated } from "../isolate";

/** Long enough for a loaded host to start a jail, short enough for a health probe. */
const READY_TIMEOUT_MS = 2_500;

function notReady(detail: string): ServiceError {
  return new ServiceError(503, "backend not ready", `bubblewrap failed: ${detail}`, true);
}

/** Resolves when a jailed `true` exits 0; throws a 503 `ServiceError` naming bwrap's failure otherwise. */
export async function proveBubblewrap(root: string, bwrapPath?: string): Promise<void> {
  let path: string;
  try {
    path = bwrapPath ?? locateBwrap();
    checkBwrap(path);
  } catch (error) {
    if (error instanceof ServiceError) throw notReady(error.detail ?? error.title);
    throw error;
  }
  const workspace = await mkdtemp(join(root, ".ready-"));
  try {
    const spec = { argv: ["true"], timeoutMs: READY_TIMEOUT_MS, maxOutputBytes: 4096 };
    const result = await execIsolated(workspace, spec, { bwrapPath: path });
    if (result.timedOut) throw notReady(`a jailed \`true\` did not finish within ${READY_TIMEOUT_MS} ms`);
    if (result.exitCode !== 0) {
      const said = result.output.trim();
      throw notReady(`exit ${result.exitCode}${said ? `: ${said.slice(0, 500)}` : " with no message"}`);
    }
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
}
