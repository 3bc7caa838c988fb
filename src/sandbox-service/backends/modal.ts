/**
 * The Modal backend: one Modal Sandbox per job, created with the `modal` SDK (0.11.1) in the app
 * named by MODAL_APP_NAME, tagged {service, jobId} and named per job. The clone, the agent's
 * commands, git for the change set and file access all run inside the sandbox (see modal-ops.ts).
 * A job the service does not hold in memory (after a restart) is found again by its sandbox's
 * name; what the service records about it (clone, exec keys, environment phase) lives under
 * `stateDir`. Environments (cold or warm starts, the setup phase's network, snapshots): modal-env.ts.
 */
import { join } from "node:path";
import { AlreadyExistsError, ModalClient, type Sandbox } from "modal";
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
import { collectChangesWith } from "../change-set";
import { collectDiffWith } from "../diff";
import { DEFAULT_ENV_CACHE_LIMITS } from "../env-cache";
import { ServiceError, sandboxNotFound } from "../errors";
import { sandboxName } from "../job-name";
import { clonedBase, recordedSandboxes, SandboxState } from "../sandbox-state";
import type { ModalBackendOptions } from "./modal-config";
import { sandboxParams } from "./modal-config";
import { ModalEnvironments } from "./modal-env";
import {
  type FreshSandbox,
  type ModalSandbox,
  terminateIdempotently,
  track,
  withRecords,
} from "./modal-held";
import { ModalImages } from "./modal-image";
import { findJobSandbox, listOwned } from "./modal-lookup";
import { modalExec, modalGit, modalReadFile, modalWriteFile } from "./modal-ops";
import { beginSetup, cloneHeld, endSetup } from "./modal-phase";
import { proveModalCredentials } from "./modal-ready";
import type { Backend, CloneAuth, CloseOptions, ExecSpec, FileData, OwnedSandbox } from "./types";

export { sandboxName };

const stopping = (): ServiceError =>
  new ServiceError(503, "shutting down", "the sandbox service is stopping", true);

/** A `Backend` whose sandboxes are Modal Sandboxes. */
export class ModalBackend implements Backend {
  readonly name = "modal" as const;
  private readonly client: ModalClient;
  /** Sandboxes held, by job id. */
  private readonly sandboxes = new Map<string, ModalSandbox>();
  /** Creates and reattaches in flight or done, by job id, so concurrent calls share one. */
  private readonly byJob = new Map<string, Promise<ModalSandbox>>();
  private readonly images: ModalImages;
  private readonly environments: ModalEnvironments;
  private closed = false;

  constructor(private readonly options: ModalBackendOptions) {
    this.client = new ModalClient({ tokenId: options.tokenId, tokenSecret: options.tokenSecret });
    this.images = new ModalImages(this.client, options);
    this.environments = new ModalEnvironments(this.images, {
      cacheDir: join(options.stateDir, "env-cache"),
      limits: options.envCacheLimits ?? DEFAULT_ENV_CACHE_LIMITS,
    });
  }

  async create(
    jobId: string,
    environment?: SandboxEnvironment,
  ): Promise<{ sandbox: SandboxInfo; created: boolean }> {
    if (this.closed) throw stopping();
    const existing = this.byJob.get(jobId);
    if (existing) {
      try {
        return { sandbox: (await existing).info, created: false };
      } catch {
        // That attempt failed (or found nothing to reattach): this create makes one.
      }
    }
    let created = false;
    const making = (async () => {
      const found = await this.findByName(jobId);
      if (found) return this.take(jobId, found);
      created = true;
      return this.make(jobId, environment);
    })();
    this.remember(jobId, making);
    return { sandbox: (await making).info, created };
  }

  private async make(jobId: string, environment?: SandboxEnvironment): Promise<ModalSandbox> {
    const app = await this.images.app();
    const o = this.options;
    const params = sandboxParams(o, jobId);
    try {
      const started = await this.environments.start(environment, (image) =>
        this.client.sandboxes.create(app, image, params),
      );
      return await this.take(jobId, started.sandbox, { ...started, environment });
    } catch (error) {
      if (!(error instanceof AlreadyExistsError)) throw error;
      // Made meanwhile by another process of this service: that one is the job's sandbox.
      const found = await this.findByName(jobId);
      if (found) return this.take(jobId, found);
      throw new ServiceError(
        409,
        "sandbox name taken",
        `${params.name} exists in ${o.appName} without this service's tags`,
      );
    }
  }

  /** Holds `sandbox` as `jobId`'s, with its records (new ones when `fresh`). */
  private async take(jobId: string, sandbox: Sandbox, fresh?: FreshSandbox): Promise<ModalSandbox> {
    const held = await withRecords(this.options.stateDir, jobId, sandbox, fresh);
    if (this.closed) {
      if (fresh) await sandbox.terminate();
      sandbox.detach();
      throw stopping();
    }
    this.sandboxes.set(jobId, held);
    return held;
  }

  /** Shares `attempt` with concurrent calls for the job; forgotten when it fails. */
  private remember(jobId: string, attempt: Promise<ModalSandbox>): void {
    this.byJob.set(jobId, attempt);
    attempt.catch(() => {
      if (this.byJob.get(jobId) === attempt) this.byJob.delete(jobId);
    });
  }

  proveReady(): Promise<void> {
    if (this.closed) return Promise.reject(stopping());
    return proveModalCredentials(this.client, this.options.appName);
  }

  async adopt(): Promise<SandboxInfo[]> {
    const adopted: SandboxInfo[] = [];
    for (const { jobId } of await this.owned()) {
      if (this.byJob.has(jobId)) continue;
      try {
        adopted.push((await this.live(jobId)).info);
      } catch (error) {
        // Ended between the listing and the lookup: nothing to adopt.
        if (!(error instanceof ServiceError && error.status === 404)) throw error;
      }
    }
    // Records of jobs whose sandbox Modal no longer runs (ended by its own timeout) go.
    for (const { meta, state } of await recordedSandboxes(this.options.stateDir)) {
      if (this.sandboxes.has(meta.jobId)) continue;
      const found = await this.findByName(meta.jobId);
      if (found) found.detach();
      else await state.remove();
    }
    return adopted;
  }

  async get(id: string): Promise<SandboxInfo> {
    return (await this.live(id)).info;
  }

  async list(): Promise<SandboxInfo[]> {
    return [...this.sandboxes.values()].map((s) => s.info);
  }

  async owned(): Promise<OwnedSandbox[]> {
    return listOwned(this.client, await this.images.app(), this.options.serviceTag);
  }

  /** The running sandbox of `jobId` (by name, with this service's tags), else undefined. */
  private async findByName(jobId: string): Promise<Sandbox | undefined> {
    await this.images.app();
    return findJobSandbox(this.client, this.options, jobId);
  }

  async clone(id: string, request: CloneRequest, auth?: CloneAuth): Promise<CloneResult> {
    return cloneHeld(await this.live(id), request, this.options, auth);
  }

  async beginEnvironment(id: string): Promise<EnvironmentBegun> {
    return beginSetup(await this.live(id), this.options);
  }

  async environmentReady(id: string, request: EnvironmentReadyRequest): Promise<EnvironmentReady> {
    return endSetup(await this.live(id), this.options, this.environments, request.save);
  }

  async exec(id: string, spec: ExecSpec): Promise<ExecResult> {
    const state = await this.live(id);
    // Nothing changes the filesystem while a snapshot of it is taken.
    await state.phase.settled();
    return track(state, modalExec(state.sandbox, spec));
  }

  async execsDir(id: string): Promise<string> {
    return (await this.live(id)).state.execsDir;
  }

  async readFile(id: string, path: string): Promise<FileData> {
    const state = await this.live(id);
    return track(state, modalReadFile(state.sandbox, path));
  }

  async writeFile(id: string, path: string, content: Uint8Array, mode?: FileMode): Promise<void> {
    const state = await this.live(id);
    await state.phase.settled();
    await track(state, modalWriteFile(state.sandbox, path, content, mode));
  }

  async changes(id: string, baseSha?: string): Promise<ChangeSet> {
    const state = await this.live(id);
    const base = clonedBase(state, baseSha);
    return track(state, collectChangesWith(modalGit(state.sandbox), base));
  }

  async diff(id: string, baseSha?: string): Promise<SandboxDiff> {
    const state = await this.live(id);
    const base = clonedBase(state, baseSha);
    return track(state, collectDiffWith(modalGit(state.sandbox), base));
  }

  async readBlobs(id: string, shas: string[]): Promise<BlobRange[]> {
    const state = await this.live(id);
    clonedBase(state);
    return track(state, readBlobsWith(modalGit(state.sandbox), shas));
  }

  async readBlob(id: string, sha: string, offset: number, length: number): Promise<BlobRange> {
    const state = await this.live(id);
    clonedBase(state);
    return track(state, readBlobRangeWith(modalGit(state.sandbox), sha, offset, length));
  }

  async terminate(id: string): Promise<void> {
    const state = this.sandboxes.get(id);
    if (!state) return this.terminateUnheld(id);
    this.sandboxes.delete(id);
    this.byJob.delete(state.info.jobId);
    state.terminated = true;
    await terminateIdempotently(state.sandbox);
    await Promise.allSettled(state.inFlight);
    state.sandbox.detach();
    await state.state.remove();
  }

  /** A job this process does not hold: its sandbox (found by name, with this service's tags) and records go. */
  private async terminateUnheld(jobId: string): Promise<void> {
    const found = await this.findByName(jobId);
    if (found) await terminateIdempotently(found).finally(() => found.detach());
    await new SandboxState(join(this.options.stateDir, sandboxName(jobId))).remove();
  }

  async close(options: CloseOptions = {}): Promise<void> {
    this.closed = true;
    if (options.keepSandboxes) {
      // Commands still running finish (or hit their timeout) in Modal; the next process finds the sandboxes by name.
      for (const state of this.sandboxes.values()) state.sandbox.detach();
      this.sandboxes.clear();
      this.byJob.clear();
    } else {
      await Promise.allSettled([...this.sandboxes.keys()].map((id) => this.terminate(id)));
    }
    this.client.close();
  }

  /** The job's sandbox: held, or found again by name (after a restart); 404 when there is none. */
  private async live(id: string): Promise<ModalSandbox> {
    const held = this.sandboxes.get(id);
    if (held) return held;
    if (this.closed) throw stopping();
    let attempt = this.byJob.get(id);
    if (!attempt) {
      attempt = (async () => {
        const found = await this.findByName(id);
        if (!found) throw sandboxNotFound(id);
        return this.take(id, found);
      })();
      this.remember(id, attempt);
    }
    return attempt;
  }
}
