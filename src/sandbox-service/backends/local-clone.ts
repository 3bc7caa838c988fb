/**
 * The local backend's clone: host git clones into a staging directory no jail can see, then the
 * clone is moved into the (still empty) workspace and recorded in the sandbox's state, so a
 * restarted service answers the same clone (sandbox-state.ts `cloneOnce`).
 */
import { mkdir, rename, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import type { CloneRequest, CloneResult } from "../../protocol/sandbox";
import { ServiceError } from "../errors";
import { cloneRepository, redactUrl } from "../git-clone";
import { CLONE_TIMEOUT_MS } from "../limits";
import type { SandboxState } from "../sandbox-state";
import type { CloneAuth } from "./types";

/** What the clone needs of a local sandbox. */
export interface CloneTarget {
  /** The sandbox's directory, outside the jail. */
  dir: string;
  workspace: string;
  state: SandboxState;
  stop: AbortController;
}

export async function cloneIntoWorkspace(
  sandbox: CloneTarget,
  request: CloneRequest,
  auth?: CloneAuth,
): Promise<CloneResult> {
  const staging = join(sandbox.dir, "staging");
  await rm(staging, { recursive: true, force: true });
  await mkdir(join(staging, "home"), { recursive: true, mode: 0o700 });
  try {
    const dest = join(staging, "repo");
    const result = await cloneRepository({
      url: request.url,
      ref: request.ref,
      remoteUrl: request.remoteUrl,
      full: request.full,
      contextPaths: request.contextPaths,
      auth,
      dest,
      home: join(staging, "home"),
      timeoutMs: CLONE_TIMEOUT_MS,
      signal: sandbox.stop.signal,
    });
    try {
      await rmdir(sandbox.workspace);
    } catch (error) {
      throw new ServiceError(409, "workspace not empty", `clone before writing files: ${String(error)}`);
    }
    await rename(dest, sandbox.workspace);
    const { url, ref } = request;
    await sandbox.state.saveClone({ url: redactUrl(url), requestedRef: ref, ...result });
    return result;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
