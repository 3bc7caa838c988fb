/**
 * A local sandbox as the backend holds it, and what runs in it: a command in its jail (the phase
 * decides the network; `cwd` must name a directory of the workspace) and the save of its
 * set-up environment at `environment/ready`.
 */
import { chmod, mkdir, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ExecResult, SandboxEnvironment, SandboxInfo } from "../../protocol/sandbox";
import type { EnvCache, EnvCacheSaved } from "../env-cache";
import type { EnvironmentPhase } from "../env-phase";
import { badRequest, ServiceError } from "../errors";
import { execIsolated } from "../isolate";
import type { Logger } from "../log";
import type { HeldClone, SandboxState } from "../sandbox-state";
import { saveEnvironment } from "./local-env";
import type { ExecSpec } from "./types";

export interface LocalSandbox extends HeldClone {
  info: SandboxInfo;
  dir: string;
  workspace: string;
  /** Bound at /tmp (mode 1777, like a real /tmp) and at HOME for the agent's commands. */
  tmpDir: string;
  homeDir: string;
  bwrapPath: string;
  /** Identity, clone record and exec records, outside the jail. */
  state: SandboxState;
  /** Aborted by terminate: kills every command still running. */
  stop: AbortController;
  /** Operations in flight, awaited before the directory is removed. */
  inFlight: Set<Promise<unknown>>;
  phase: EnvironmentPhase;
  /** Aborted by `environment/ready`: a setup command still running must not keep the network. */
  setupStop: AbortController;
}

/** Makes a sandbox's directories under `dir` (kept when they exist): workspace, /tmp (1777) and HOME. */
export async function makeSandboxDirs(
  dir: string,
): Promise<{ workspace: string; tmpDir: string; homeDir: string }> {
  const dirs = { workspace: join(dir, "workspace"), tmpDir: join(dir, "tmp"), homeDir: join(dir, "home") };
  await mkdir(dirs.workspace, { recursive: true, mode: 0o700 });
  await mkdir(dirs.tmpDir, { recursive: true, mode: 0o700 });
  await chmod(dirs.tmpDir, 0o1777);
  await mkdir(dirs.homeDir, { recursive: true, mode: 0o700 });
  return dirs;
}

/** The in-memory handle of the sandbox in `dir`, nothing running, its clone not yet restored. */
export function sandboxHandle(
  info: SandboxInfo,
  dir: string,
  state: SandboxState,
  phase: EnvironmentPhase,
  bwrapPath: string,
): LocalSandbox {
  return {
    info,
    dir,
    workspace: join(dir, "workspace"),
    tmpDir: join(dir, "tmp"),
    homeDir: join(dir, "home"),
    bwrapPath,
    state,
    stop: new AbortController(),
    inFlight: new Set(),
    phase,
    setupStop: new AbortController(),
  };
}

/** Runs `spec` in the sandbox's jail, with the host's network only in the setup phase. */
export async function execInSandbox(sandbox: LocalSandbox, spec: ExecSpec): Promise<ExecResult> {
  // A save copies the workspace: no command may change it halfway.
  await sandbox.phase.settled();
  const { tmpDir, homeDir, phase, stop, bwrapPath } = sandbox;
  if (spec.cwd !== undefined) await checkDirectory(sandbox.workspace, spec.cwd);
  const network = phase.network;
  const signal = network ? AbortSignal.any([stop.signal, sandbox.setupStop.signal]) : stop.signal;
  const options = { signal, bwrapPath, tmpDir, homeDir, network };
  const { aborted, ...result } = await execIsolated(sandbox.workspace, spec, options);
  if (aborted && stop.signal.aborted)
    throw new ServiceError(404, "sandbox not found", "terminated while the command ran");
  if (aborted)
    return { ...result, exitCode: 137, output: `${result.output}\n[killed: the setup phase ended]\n` };
  return result;
}

/**
 * Saves the sandbox's environment; a copy that fails (a full disk) is logged and answered as not
 * saved: it costs the next job its warm start, not this job. A terminated sandbox is still a 404.
 */
export async function saveQuietly(
  sandbox: LocalSandbox,
  environment: SandboxEnvironment,
  cache: EnvCache,
  log?: Logger,
): Promise<EnvCacheSaved> {
  try {
    return await saveEnvironment(cache, environment, sandbox, sandbox.stop.signal);
  } catch (error) {
    if (sandbox.stop.signal.aborted) throw error;
    log?.warn("env cache: saving an environment failed", {
      job_id: sandbox.info.jobId,
      error: error instanceof Error ? error.message : String(error),
    });
    return { saved: false, evicted: 0 };
  }
}

/** What the local backend says of a devcontainer `image`: it has none to give. */
export function imageNotes(environment: SandboxEnvironment | undefined): string[] {
  if (!environment?.image) return [];
  return [
    `the local backend ignores devcontainer image ${environment.image}; commands run on this host's tools`,
  ];
}

/** 400 unless `cwd` is a directory inside the workspace (resolved on the host only to answer that; the jail resolves it again). */
async function checkDirectory(workspace: string, cwd: string): Promise<void> {
  const [root, target] = await Promise.all([
    realpath(workspace),
    realpath(join(workspace, cwd)).catch(() => ""),
  ]);
  const inside = target === root || target.startsWith(`${root}/`);
  if (!inside || !(await stat(target)).isDirectory())
    throw badRequest(`cwd: ${cwd} is not a directory in the repository`);
}
