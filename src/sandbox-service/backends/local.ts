/**
 * The local backend: one directory per sandbox under a root, its `workspace/` subdirectory bound
 * at /workspace in a bubblewrap jail for every command, and its `tmp/` and `home/` at /tmp and
 * /root (a script written there by one command is there for the next). The clone happens on the host into a
 * hidden staging directory and is then moved into the (still empty) workspace. The directory is
 * named after the job (job-name.ts) and holds `state/` (sandbox-state.ts) beside the workspace,
 * outside the jail, so a restarted service on the same root serves the sandbox again.
 */
import { chmod, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type {
  BlobRange,
  ChangeSet,
  CloneRequest,
  CloneResult,
  ExecResult,
  FileMode,
  SandboxDiff,
  SandboxInfo,
} from "../../protocol/sandbox";
import { readBlobRangeWith, readBlobsWith } from "../blob-range";
import { checkBwrap, locateBwrap } from "../bwrap-path";
import { collectChanges } from "../change-set";
import { collectDiffWith } from "../diff";
import { ServiceError, sandboxNotFound } from "../errors";
import { execIsolated } from "../isolate";
import { jailedGit } from "../jailed-git";
import { sandboxName } from "../job-name";
import { readSandboxFile, writeSandboxFile } from "../sandbox-files";
import {
  type CloneRecord,
  clonedBase,
  cloneOnce,
  type HeldClone,
  heldClone,
  recordedSandboxes,
  SandboxState,
} from "../sandbox-state";
import { cloneIntoWorkspace } from "./local-clone";
import { proveBubblewrap } from "./local-ready";
import type { Backend, CloneAuth, CloseOptions, ExecSpec, FileData, OwnedSandbox } from "./types";

export { execIsolated, runIsolated } from "../isolate";

export interface LocalBackendOptions {
  /** Directory holding one subdirectory per sandbox; created if missing. */
  root: string;
  /** Path of the bwrap binary; by default `BWRAP_PATH`, else `bwrap` on PATH, looked up at each create. */
  bwrapPath?: string;
}

interface LocalSandbox extends HeldClone {
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
}

/** A `Backend` whose sandboxes are bubblewrap jails around directories on this machine. */
export class LocalBackend implements Backend {
  readonly name = "local" as const;
  private readonly sandboxes = new Map<string, LocalSandbox>();
  private readonly byJob = new Map<string, Promise<LocalSandbox>>();
  private closed = false;

  constructor(private readonly options: LocalBackendOptions) {}

  async create(jobId: string): Promise<{ sandbox: SandboxInfo; created: boolean }> {
    if (this.closed) throw new ServiceError(503, "shutting down", "the sandbox service is stopping", true);
    const existing = this.byJob.get(jobId);
    if (existing) return { sandbox: (await existing).info, created: false };
    // Checked on every create: a bwrap uninstalled after startup must not surface as a failed command.
    const bwrapPath = this.options.bwrapPath ?? locateBwrap();
    checkBwrap(bwrapPath);
    const dir = join(this.options.root, sandboxName(jobId));
    const making = (async (): Promise<LocalSandbox> => {
      const workspace = join(dir, "workspace");
      const tmpDir = join(dir, "tmp");
      const homeDir = join(dir, "home");
      await mkdir(workspace, { recursive: true, mode: 0o700 });
      await mkdir(tmpDir, { recursive: true, mode: 0o700 });
      await chmod(tmpDir, 0o1777);
      await mkdir(homeDir, { recursive: true, mode: 0o700 });
      const state = new SandboxState(join(dir, "state"));
      // A directory an earlier process left for this job is the job's sandbox: take it up.
      const meta = (await state.meta()) ?? { jobId, createdAt: new Date().toISOString() };
      await state.init(meta);
      if (this.closed) throw new ServiceError(503, "shutting down", "the sandbox service is stopping", true);
      return this.open(jobId, dir, state, meta.createdAt, await state.clone());
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
      const sandbox = this.open(meta.jobId, dir, state, meta.createdAt, await state.clone());
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
    cloned?: CloneRecord,
  ): LocalSandbox {
    const info: SandboxInfo = { id: jobId, jobId, backend: "local", createdAt };
    const sandbox: LocalSandbox = {
      info,
      dir,
      workspace: join(dir, "workspace"),
      tmpDir: join(dir, "tmp"),
      homeDir: join(dir, "home"),
      bwrapPath: this.options.bwrapPath ?? locateBwrap(),
      state,
      stop: new AbortController(),
      inFlight: new Set(),
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
    return cloneOnce(sandbox, request, () => this.track(sandbox, cloneIntoWorkspace(sandbox, request, auth)));
  }

  async exec(id: string, spec: ExecSpec): Promise<ExecResult> {
    const sandbox = this.live(id);
    const { tmpDir, homeDir } = sandbox;
    const run = execIsolated(sandbox.workspace, spec, { ...this.jail(sandbox), tmpDir, homeDir });
    const { aborted, ...result } = await this.track(sandbox, run);
    if (aborted) throw new ServiceError(404, "sandbox not found", "terminated while the command ran");
    return result;
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
