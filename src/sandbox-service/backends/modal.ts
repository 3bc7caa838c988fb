/**
 * The Modal backend: one Modal Sandbox per job, created with the `modal` SDK (0.11.1) in the app
 * named by MODAL_APP_NAME, tagged {service, jobId} and named per job. The clone, the agent's
 * commands, git for the change set and file access all run inside the sandbox (see modal-ops.ts).
 */
import { createHash } from "node:crypto";
import { isIP } from "node:net";
import { AlreadyExistsError, type App, type Image, ModalClient, NotFoundError, type Sandbox } from "modal";
import type {
  BlobRange,
  ChangeSet,
  CloneRequest,
  CloneResult,
  ExecResult,
  FileMode,
  SandboxInfo,
} from "../../protocol/sandbox";
import { readBlobRangeWith, readBlobsWith } from "../blob-range";
import { collectChangesWith } from "../change-set";
import { ServiceError, sandboxNotFound } from "../errors";
import { redactUrl } from "../git-clone";
import type { ModalBackendOptions } from "./modal-config";
import { DEFAULT_BASE_IMAGE, DEFAULT_IMAGE_COMMANDS } from "./modal-config";
import { MODAL_WORKDIR } from "./modal-exec";
import { modalClone, modalExec, modalGit, modalReadFile, modalWriteFile } from "./modal-ops";
import type { Backend, CloneAuth, ExecSpec, FileData, OwnedSandbox } from "./types";

interface ModalSandbox {
  info: SandboxInfo;
  sandbox: Sandbox;
  terminated: boolean;
  inFlight: Set<Promise<unknown>>;
  clone?: { url: string; ref?: string; result: Promise<CloneResult> };
  base?: CloneResult;
}

/** A Modal sandbox name for a job: allowed characters only, under 64, unique per job id. */
export function sandboxName(jobId: string): string {
  const readable = jobId.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 40);
  const digest = createHash("sha256").update(jobId).digest("hex").slice(0, 12);
  return `job-${readable}-${digest}`;
}

/** A `Backend` whose sandboxes are Modal Sandboxes. */
export class ModalBackend implements Backend {
  readonly name = "modal" as const;
  private readonly client: ModalClient;
  private readonly sandboxes = new Map<string, ModalSandbox>();
  private readonly byJob = new Map<string, Promise<ModalSandbox>>();
  private ready?: Promise<{ app: App; image: Image }>;
  private closed = false;

  constructor(private readonly options: ModalBackendOptions) {
    this.client = new ModalClient({ tokenId: options.tokenId, tokenSecret: options.tokenSecret });
  }

  /** The app (created if missing) and the image (built once; Modal caches it). */
  private appAndImage(): Promise<{ app: App; image: Image }> {
    this.ready ??= (async () => {
      const app = await this.client.apps.fromName(this.options.appName, { createIfMissing: true });
      const base = this.client.images.fromRegistry(this.options.image ?? DEFAULT_BASE_IMAGE);
      const image = this.options.image ? base : base.dockerfileCommands(DEFAULT_IMAGE_COMMANDS);
      return { app, image: await image.build(app) };
    })();
    this.ready.catch(() => {
      this.ready = undefined;
    });
    return this.ready;
  }

  async create(jobId: string): Promise<{ sandbox: SandboxInfo; created: boolean }> {
    if (this.closed) throw new ServiceError(503, "shutting down", "the sandbox service is stopping", true);
    const existing = this.byJob.get(jobId);
    if (existing) return { sandbox: (await existing).info, created: false };
    const making = this.make(jobId);
    this.byJob.set(jobId, making);
    try {
      return { sandbox: (await making).info, created: true };
    } catch (error) {
      this.byJob.delete(jobId);
      throw error;
    }
  }

  private async make(jobId: string): Promise<ModalSandbox> {
    const { app, image } = await this.appAndImage();
    const o = this.options;
    const params = {
      name: sandboxName(jobId),
      tags: { service: o.serviceTag, jobId },
      timeoutMs: o.timeoutSeconds * 1000,
      idleTimeoutMs: o.idleTimeoutSeconds * 1000,
      cpu: o.cpu,
      memoryMiB: o.memoryMiB,
      workdir: MODAL_WORKDIR,
      ...(o.network === "open" ? {} : { outboundDomainAllowlist: o.allowedDomains }),
    };
    let sandbox: Sandbox;
    try {
      sandbox = await this.client.sandboxes.create(app, image, params);
    } catch (error) {
      if (!(error instanceof AlreadyExistsError)) throw error;
      // A sandbox of this job left by an earlier service process: its state is gone, so replace it.
      const stale = await this.client.sandboxes.fromName(o.appName, params.name);
      await stale.terminate();
      sandbox = await this.client.sandboxes.create(app, image, params);
    }
    const info: SandboxInfo = {
      id: sandbox.sandboxId,
      jobId,
      backend: "modal",
      createdAt: new Date().toISOString(),
    };
    const state: ModalSandbox = { info, sandbox, terminated: false, inFlight: new Set() };
    if (this.closed) {
      await sandbox.terminate();
      throw new ServiceError(503, "shutting down", "the sandbox service is stopping", true);
    }
    this.sandboxes.set(info.id, state);
    return state;
  }

  async get(id: string): Promise<SandboxInfo> {
    return this.live(id).info;
  }

  async list(): Promise<SandboxInfo[]> {
    return [...this.sandboxes.values()].map((s) => s.info);
  }

  async owned(): Promise<OwnedSandbox[]> {
    const { app } = await this.appAndImage();
    const found: OwnedSandbox[] = [];
    for await (const sandbox of this.client.sandboxes.list({
      appId: app.appId,
      tags: { service: this.options.serviceTag },
    })) {
      const tags = await sandbox.getTags();
      found.push({ id: sandbox.sandboxId, jobId: tags.jobId ?? "" });
    }
    return found;
  }

  async clone(id: string, request: CloneRequest, auth?: CloneAuth): Promise<CloneResult> {
    const state = this.live(id);
    const url = redactUrl(request.url);
    if (state.clone) {
      const { ref } = request;
      const sameRef = ref === undefined || ref === state.clone.ref || ref === state.base?.ref;
      if (state.clone.url !== url || !sameRef)
        throw new ServiceError(409, "already cloned", `this sandbox holds a clone of ${state.clone.url}`);
      return state.clone.result;
    }
    const result = this.track(state, this.cloneThrough(state.sandbox, request, auth));
    state.clone = { url, ref: request.ref, result };
    try {
      state.base = await result;
    } catch (error) {
      state.clone = undefined;
      throw error;
    }
    if (this.options.network === "clone-only") {
      await state.sandbox.updateNetworkPolicy({ outboundCidrAllowlist: [], outboundDomainAllowlist: [] });
    }
    return state.base;
  }

  /**
   * The clone, with the clone URL's host let through the allowlist for its duration when it is not
   * on it already (the Worker's git proxy for a private repository), and taken off again after.
   */
  private async cloneThrough(
    sandbox: Sandbox,
    request: CloneRequest,
    auth?: CloneAuth,
  ): Promise<CloneResult> {
    const { network, allowedDomains } = this.options;
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
      await sandbox.updateNetworkPolicy({
        outboundCidrAllowlist: [],
        outboundDomainAllowlist: allowedDomains,
      });
    }
  }

  async exec(id: string, spec: ExecSpec): Promise<ExecResult> {
    const state = this.live(id);
    return this.track(state, modalExec(state.sandbox, spec));
  }

  async readFile(id: string, path: string): Promise<FileData> {
    const state = this.live(id);
    return this.track(state, modalReadFile(state.sandbox, path));
  }

  async writeFile(id: string, path: string, content: Uint8Array, mode?: FileMode): Promise<void> {
    const state = this.live(id);
    await this.track(state, modalWriteFile(state.sandbox, path, content, mode));
  }

  async changes(id: string): Promise<ChangeSet> {
    const state = this.live(id);
    if (!state.base) throw new ServiceError(409, "not cloned", "clone a repository into the sandbox first");
    return this.track(state, collectChangesWith(modalGit(state.sandbox), state.base.headSha));
  }

  async readBlobs(id: string, shas: string[]): Promise<BlobRange[]> {
    const state = this.live(id);
    if (!state.base) throw new ServiceError(409, "not cloned", "clone a repository into the sandbox first");
    return this.track(state, readBlobsWith(modalGit(state.sandbox), shas));
  }

  async readBlob(id: string, sha: string, offset: number, length: number): Promise<BlobRange> {
    const state = this.live(id);
    if (!state.base) throw new ServiceError(409, "not cloned", "clone a repository into the sandbox first");
    return this.track(state, readBlobRangeWith(modalGit(state.sandbox), sha, offset, length));
  }

  async terminate(id: string): Promise<void> {
    const state = this.sandboxes.get(id);
    if (!state) return this.terminateForeign(id);
    this.sandboxes.delete(id);
    this.byJob.delete(state.info.jobId);
    state.terminated = true;
    try {
      await state.sandbox.terminate();
    } catch (error) {
      if (!isNotFound(error)) throw error;
      // Already gone at Modal: terminating is idempotent.
    }
    await Promise.allSettled(state.inFlight);
    state.sandbox.detach();
  }

  /** A sandbox this process did not create: terminated only if it carries this service's tag. */
  private async terminateForeign(id: string): Promise<void> {
    const sandbox = await this.client.sandboxes.fromId(id);
    try {
      const tags = await sandbox.getTags();
      if (tags.service === this.options.serviceTag) await sandbox.terminate();
    } catch (error) {
      if (!isNotFound(error)) throw error;
      // Unknown at Modal: nothing to terminate.
    } finally {
      sandbox.detach();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.sandboxes.keys()].map((id) => this.terminate(id)));
    this.client.close();
  }

  private live(id: string): ModalSandbox {
    const state = this.sandboxes.get(id);
    if (!state) throw sandboxNotFound(id);
    return state;
  }

  /** Runs `work` for a sandbox; when the sandbox is terminated meanwhile, the answer is a 404. */
  private async track<T>(state: ModalSandbox, work: Promise<T>): Promise<T> {
    state.inFlight.add(work);
    try {
      const value = await work;
      if (state.terminated) throw new ServiceError(404, "sandbox not found", "terminated during the request");
      return value;
    } catch (error) {
      if (state.terminated) throw new ServiceError(404, "sandbox not found", "terminated during the request");
      throw modalFailure(error);
    } finally {
      state.inFlight.delete(work);
    }
  }
}

/** Modal's "no such sandbox", from the SDK's own error type or the raw gRPC status (5, NOT_FOUND). */
function isNotFound(error: unknown): boolean {
  return error instanceof NotFoundError || (error as { code?: unknown } | null)?.code === 5;
}

/** Errors of our own pass through; anything from Modal is a retryable 503 naming what failed. */
function modalFailure(error: unknown): unknown {
  if (error instanceof ServiceError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ServiceError(503, "modal unavailable", message.slice(0, 500), true);
}
