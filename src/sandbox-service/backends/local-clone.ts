/**
 * The local backend's clone: host git clones into a staging directory no jail can see, then the
 * clone is moved into the (still empty) workspace and recorded in the sandbox's state, so a
 * restarted service answers the same clone (sandbox-state.ts `cloneOnce`).
 *
 * A warm sandbox's workspace already holds a set-up environment (local-env.ts) whose tracked
 * files are those of an older commit. It is moved to the requested ref's head without trusting
 * anything in it: the fresh clone's `.git` replaces the cached one (host git never runs where a
 * sandbox command wrote: a cached `.git/config` could redirect the fetch, and the clone ticket
 * with it, or name an fsmonitor to run on the host), then git inside the jail checks the commit
 * out over the cached files (`reset --hard`) and `clean -ffd`s what the commit does not track,
 * without `-x`, so what the repository ignores (node_modules, .venv, target) stays.
 */
import { mkdir, rename, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import type { CloneRequest, CloneResult } from "../../protocol/sandbox";
import { ServiceError } from "../errors";
import { cloneRepository, redactUrl } from "../git-clone";
import { GIT, jailedGit } from "../jailed-git";
import { CLONE_TIMEOUT_MS } from "../limits";
import type { JailOptions } from "../sandbox-files";
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

/** `warm`: the workspace holds a cached environment, moved to the clone's commit in the jail `warm` describes. */
export async function cloneIntoWorkspace(
  sandbox: CloneTarget,
  request: CloneRequest,
  auth?: CloneAuth,
  warm?: JailOptions,
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
    if (warm) await moveOnto(dest, sandbox.workspace, warm);
    else {
      try {
        await rmdir(sandbox.workspace);
      } catch (error) {
        throw new ServiceError(409, "workspace not empty", `clone before writing files: ${String(error)}`);
      }
      await rename(dest, sandbox.workspace);
    }
    const { url, ref } = request;
    await sandbox.state.saveClone({ url: redactUrl(url), requestedRef: ref, ...result });
    return result;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Gives `workspace` the fresh clone's repository (in `clone`) and checks its commit out there, jailed. */
async function moveOnto(clone: string, workspace: string, jail: JailOptions): Promise<void> {
  await rm(join(workspace, ".git"), { recursive: true, force: true, maxRetries: 3 });
  await rename(join(clone, ".git"), join(workspace, ".git"));
  const git = jailedGit(workspace, jail);
  await git([...GIT, "reset", "-q", "--hard", "HEAD"]);
  await git([...GIT, "clean", "-ffdq"]);
}
