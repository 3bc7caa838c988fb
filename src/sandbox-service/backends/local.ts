/**
 * The local backend: one directory per sandbox under a root, its `workspace/` subdirectory bound
 * at /workspace in a bubblewrap jail for every command, and its `tmp/` and `home/` at /tmp and
 * /root (a script written there by one command is there for the next). The clone happens on the host into a
 * hidden staging directory and is then moved into the (still empty) workspace. The directory is
 * named after the job (job-name.ts) and holds `state/` (sandbox-state.ts) beside the workspace,
 * outside the jail, so a restarted service on the same root serves the sandbox again.
 * Environments (env-phase.ts, local-env.ts): a sandbox created with one starts from the cached
 * copy when there is one; its setup phase runs commands with the host's network.
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type {
  BlobRange,
  ChangeSet,
  CloneRequest,
  CloneResult,
  EnvironmentBegun,
  EnvironmentReady,
  EnvironmentReadyRequest,
  ExecResult,
  FileMode,
  SandboxDiff,
  SandboxEnvironment,
  SandboxInfo,
} from "../../protocol/sandbox";
import { readBlobRangeWith, readBlobsWith } from "../blob-range";
import { checkBwrap, locateBwrap } from "../bwrap-path";
import { collectChanges } from "../change-set";
import { collectDiffWith } from "../diff";
import { DEFAULT_ENV_CACHE_LIMITS, type EnvCache, type EnvCacheLimits } from "../env-cache";
import { EnvironmentPhase } from "../env-phase";
import { ServiceError, sandboxNotFound } from "../errors";
import { jailedGit } from "../jailed-git";
import { sandboxName } from "../job-name";
import type { Logger } from "../log";
import { readSandboxFile, writeSandboxFile } from "../sandbox-files";
import {
  type CloneRecord,
  clonedBase,
  cloneOnce,
  heldClone,
  recordedSandboxes,
  SandboxState,
} from "../sandbox-state";
import { cloneIntoWorkspace } from "./local-clone";
import { openLocalCache, restoreEnvironment } from "./local-env";
import { proveBubblewrap } from "./local-ready";
import {
  execInSandbox,
  imageNotes,
  type LocalSandbox,
  makeSandboxDirs,
  sandboxHandle,
  saveQuietly,
} from "./local-sandbox";
import type { Backend, CloneAuth, CloseOptions, ExecSpec, FileData, OwnedSandbox } from "./types";

export { execIsolated, runIsolated } from "../isolate";

export interface LocalBackendOptions {
  /** Directory holding one subdirectory per sandbox; created if missing. */
  root: string;
  /** Path of the bwrap binary; by default `BWRAP_PATH`, else `bwrap` on PATH, looked up at each create. */
  bwrapPath?: string;
  /** Bounds of the environment cache under `<root>/env-cache` (`ENV_CACHE_*`); the defaults when absent. */
  envCache?: EnvCacheLimits;
  /** Where the cache's own trouble (a copy that failed) is told; nothing when absent. */
  log?: Logger;
  /** The cache's clock (expiry, recency); the system's when absent. */
  now?: () => Date;
}

/** A `Backend` whose sandboxes are bubblewrap jails around directories on this machine. */
export class LocalBackend implements Backend {
  readonly name = "local" as const;
  private readonly sandboxes = new Map<string, LocalSandbox>();
  private readonly byJob = new Map<string, Promise<LocalSandbox>>();
  private closed = false;
  private cache?: Promise<EnvCache>;

  constructor(private readonly options: LocalBackendOptions) {}

  async create(
    jobId: string,
    environment?: SandboxEnvironment,
  ): Promise<{ sandbox: SandboxInfo; created: boolean }> {
    if (this.closed) throw new ServiceError(503, "shutting down", "the sandbox service is stopping", true);
    const existing = this.byJob.get(jobId);
    if (existing) return { sandbox: (await existing).info, created: false };
    // Checked on every create: a bwrap uninstalled after startup must not surface as a failed command.
    const bwrapPath = this.options.bwrapPath ?? locateBwrap();
    checkBwrap(bwrapPath);
    const dir = join(this.options.root, sandboxName(jobId));
    const making = (async (): Promise<LocalSandbox> => {
      const dirs = await makeSandboxDirs(dir);
      const state = new SandboxState(join(dir, "state"));
      // A directory an earlier process left for this job is the job's sandbox: take it up.
      const earlier = await state.meta();
      const meta = earlier ?? { jobId, createdAt: new Date().toISOString() };
      const cache = environment && !earlier ? await this.envCache() : undefined;
      const warm =
        cache && environment ? await restoreEnvironment(cache, environment, dirs, this.options.log) : false;
      await state.init(meta);
      const phase = earlier
        ? await EnvironmentPhase.load(state.dir)
        : await EnvironmentPhase.create(state.dir, environment, warm, imageNotes(environment));
      if (this.closed) throw new ServiceError(503, "shutting down", "the sandbox service is stopping", true);
      return this.open(jobId, dir, state, meta.createdAt, phase, await state.clone());
    })();
    this.byJob.set(jobId, making);
    try {
      return { sandbox: (await making).info, created: true };
    } catch (error) {
      this.byJob.delete(jobId);
      throw error;
    }
  }

  proveReady(): Promise<void> {
    return proveBubblewrap(this.options.root, this.options.bwrapPath);
  }

  async adopt(): Promise<SandboxInfo[]> {
    const adopted: SandboxInfo[] = [];
    for (const { meta, state } of await recordedSandboxes(this.options.root, "state")) {
      if (this.byJob.has(meta.jobId)) continue;
      const dir = join(this.options.root, sandboxName(meta.jobId));
      const phase = await EnvironmentPhase.load(state.dir);
      const sandbox = this.open(meta.jobId, dir, state, meta.createdAt, phase, await state.clone());
      this.byJob.set(meta.jobId, Promise.resolve(sandbox));
      adopted.push(sandbox.info);
    }
    return adopted;
  }

  /** The in-memory handle of a sandbox directory, its clone record (if any) restored. */
  private open(
    jobId: string,
    dir: string,
    state: SandboxState,
    createdAt: string,
    phase: EnvironmentPhase,
    cloned?: CloneRecord,
  ): LocalSandbox {
    const info: SandboxInfo = { id: jobId, jobId, backend: "local", createdAt, ...phase.infoFields() };
    const bwrapPath = this.options.bwrapPath ?? locateBwrap();
    const sandbox: LocalSandbox = {
      ...sandboxHandle(info, dir, state, phase, bwrapPath),
      ...heldClone(cloned),
    };
    this.sandboxes.set(jobId, sandbox);
    return sandbox;
  }

  async get(id: string): Promise<SandboxInfo> {
    return this.live(id).info;
  }

  async list(): Promise<SandboxInfo[]> {
    return [...this.sandboxes.values()].map((s) => s.info);
  }

  async owned(): Promise<OwnedSandbox[]> {
    return [...this.sandboxes.values()].map((s) => ({ id: s.info.id, jobId: s.info.jobId }));
  }

  async clone(id: string, request: CloneRequest, auth?: CloneAuth): Promise<CloneResult> {
    const sandbox = this.live(id);
    const warm = sandbox.phase.warm ? this.jail(sandbox) : undefined;
    return cloneOnce(sandbox, request, () =>
      this.track(sandbox, cloneIntoWorkspace(sandbox, request, auth, warm)),
    );
  }

  async beginEnvironment(id: string): Promise<EnvironmentBegun> {
    const sandbox = this.live(id);
    return sandbox.phase.begin();
  }

  async environmentReady(id: string, request: EnvironmentReadyRequest): Promise<EnvironmentReady> {
    const sandbox = this.live(id);
    sandbox.setupStop.abort();
    return sandbox.phase.ready(request.save, async (environment) =>
      this.track(sandbox, saveQuietly(sandbox, environment, await this.envCache(), this.options.log)),
    );
  }

  async exec(id: string, spec: ExecSpec): Promise<ExecResult> {
    const sandbox = this.live(id);
    return this.track(sandbox, execInSandbox(sandbox, spec));
  }

  async readFile(id: string, path: string): Promise<FileData> {
    const sandbox = this.live(id);
    return this.track(sandbox, readSandboxFile(sandbox.workspace, path, this.jail(sandbox)));
  }

  async writeFile(id: string, path: string, content: Uint8Array, mode?: FileMode): Promise<void> {
    const sandbox = this.live(id);
    await this.track(sandbox, writeSandboxFile(sandbox.workspace, path, content, mode, this.jail(sandbox)));
  }

  async changes(id: string, baseSha?: string): Promise<ChangeSet> {
    const sandbox = this.live(id);
    const base = clonedBase(sandbox, baseSha);
    return this.track(sandbox, collectChanges(sandbox.workspace, base, this.jail(sandbox)));
  }

  async diff(id: string, baseSha?: string): Promise<SandboxDiff> {
    const sandbox = this.live(id);
    const base = clonedBase(sandbox, baseSha);
    return this.track(sandbox, collectDiffWith(jailedGit(sandbox.workspace, this.jail(sandbox)), base));
  }

  async execsDir(id: string): Promise<string> {
    return this.live(id).state.execsDir;
  }

  async readBlobs(id: string, shas: string[]): Promise<BlobRange[]> {
    const sandbox = this.live(id);
    clonedBase(sandbox);
    return this.track(sandbox, readBlobsWith(jailedGit(sandbox.workspace, this.jail(sandbox)), shas));
  }

  async readBlob(id: string, sha: string, offset: number, length: number): Promise<BlobRange> {
    const sandbox = this.live(id);
    clonedBase(sandbox);
    const git = jailedGit(sandbox.workspace, this.jail(sandbox));
    return this.track(sandbox, readBlobRangeWith(git, sha, offset, length));
  }

  async terminate(id: string): Promise<void> {
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) return this.removeUnadopted(id);
    this.sandboxes.delete(id);
    this.byJob.delete(sandbox.info.jobId);
    sandbox.stop.abort();
    await Promise.allSettled(sandbox.inFlight);
    await rm(sandbox.dir, { recursive: true, force: true, maxRetries: 3 });
  }

  /** A job's directory no process has taken up: removed when it is really that job's. */
  private async removeUnadopted(jobId: string): Promise<void> {
    const dir = join(this.options.root, sandboxName(jobId));
    const state = new SandboxState(join(dir, "state"));
    if ((await state.meta())?.jobId === jobId) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }

  async close(options: CloseOptions = {}): Promise<void> {
    this.closed = true;
    if (!options.keepSandboxes) {
      await Promise.all([...this.sandboxes.keys()].map((id) => this.terminate(id)));
      return;
    }
    // As if the process ended: commands die with it, the directories stay for the next one.
    for (const sandbox of this.sandboxes.values()) sandbox.stop.abort();
    await Promise.allSettled([...this.sandboxes.values()].flatMap((s) => [...s.inFlight]));
    this.sandboxes.clear();
    this.byJob.clear();
  }

  /** The cache, opened (and swept of a crash's leftovers) on first use. */
  private envCache(): Promise<EnvCache> {
    const { root, envCache, log, now } = this.options;
    this.cache ??= openLocalCache(root, envCache ?? DEFAULT_ENV_CACHE_LIMITS, log, now);
    // A failed open is tried again by the next caller rather than remembered.
    this.cache.catch(() => {
      this.cache = undefined;
    });
    return this.cache;
  }

  private live(id: string): LocalSandbox {
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) throw sandboxNotFound(id);
    return sandbox;
  }

  /** What the service's own helpers (file access, change-set git) get: no /tmp or HOME of the agent's. */
  private jail(sandbox: LocalSandbox): { signal: AbortSignal; bwrapPath: string } {
    return { signal: sandbox.stop.signal, bwrapPath: sandbox.bwrapPath };
  }

  /** Remembers `work` until it settles, so terminate can wait for it before deleting files. */
  private track<T>(sandbox: LocalSandbox, work: Promise<T>): Promise<T> {
    sandbox.inFlight.add(work);
    const forget = (): void => {
      sandbox.inFlight.delete(work);
    };
    work.then(forget, forget);
    return work;
  }
}

/** Creates the root directory (mode 0700) and a local backend on it (call `adopt` to serve what it holds). */
export async function createLocalBackend(options: LocalBackendOptions): Promise<LocalBackend> {
  await mkdir(options.root, { recursive: true, mode: 0o700 });
  return new LocalBackend(options);
}
