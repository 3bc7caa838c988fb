/**
 * Environments on the Modal backend: where a job's sandbox starts from, and how a set-up one is
 * kept. A sandbox created with an environment starts from the snapshot image cached for its
 * repository and key when there is one (warm), else from the devcontainer's `image` or the
 * service's own (cold). A cold setup that succeeded is kept by `Sandbox.snapshotFilesystem()`:
 * Modal makes an image of the whole filesystem (workspace, HOME, whatever setup installed), and
 * its id is the cache entry's `ref` in the shared index (env-cache.ts, under the state directory).
 *
 * Modal keeps a snapshot image for `SNAPSHOT_TTL_DAYS` from its creation, a hard cutoff, whatever
 * the index does: an entry the index evicts or expires only leaves the index (the image is not
 * deleted, since a sandbox started from it may still run; Modal drops it at its TTL), and an entry
 * whose image Modal no longer has starts the job cold, with a note saying so.
 */
import type { Image, Sandbox } from "modal";
import type { SandboxEnvironment } from "../../protocol/sandbox";
import { EnvCache, type EnvCacheLimits, type EnvCacheSaved } from "../env-cache";
import { ServiceError } from "../errors";
import type { Logger } from "../log";
import type { ModalImages } from "./modal-image";

/** How long Modal keeps a snapshot image (the SDK's default lifetime, stated so it is ours). */
export const SNAPSHOT_TTL_DAYS = 30;
/** A snapshot of a large environment takes a while; the SDK's own budget (55 s) is too short. */
const SNAPSHOT_TIMEOUT_MS = 10 * 60_000;

/** A job's new sandbox and what it says about its environment. */
export interface StartedSandbox {
  sandbox: Sandbox;
  warm: boolean;
  notes: string[];
}

export interface ModalEnvironmentOptions {
  /** The index lives in `<dir>/index.json`. */
  cacheDir: string;
  limits: EnvCacheLimits;
  log?: Logger;
}

/** A registry image that does not build (no such tag, a private registry): the devcontainer's fault. */
function imageFailure(tag: string, error: unknown): unknown {
  const message = error instanceof Error ? error.message : String(error);
  if (!message.startsWith("Image build for")) return error;
  return new ServiceError(422, "image build failed", `devcontainer image ${tag}: ${message.slice(0, 1500)}`);
}

export class ModalEnvironments {
  private cache?: Promise<EnvCache>;

  constructor(
    private readonly images: ModalImages,
    private readonly options: ModalEnvironmentOptions,
  ) {}

  /** The shared index, opened once (it drops what expired while no service ran). */
  envCache(): Promise<EnvCache> {
    this.cache ??= EnvCache.open({
      dir: this.options.cacheDir,
      limits: this.options.limits,
      // Nothing to free here: Modal drops the image at its TTL (see above).
      free: async () => undefined,
      ...(this.options.log ? { log: this.options.log } : {}),
    });
    this.cache.catch(() => {
      this.cache = undefined;
    });
    return this.cache;
  }

  /**
   * A job's sandbox, made by `create` from the image this picks: the cached snapshot of
   * (`repo`, `cacheKey`) when there is one and Modal still has it, else the devcontainer's image,
   * else the service's.
   */
  async start(
    environment: SandboxEnvironment | undefined,
    create: (image: Image) => Promise<Sandbox>,
  ): Promise<StartedSandbox> {
    const notes: string[] = [];
    if (environment) {
      const cache = await this.envCache();
      let gone = false;
      const found = await cache.warm(environment.repo, environment.cacheKey, async (entry) => {
        const image = await this.images.snapshot(entry.ref);
        if (!image) {
          gone = true;
          return undefined;
        }
        return create(image);
      });
      if (found?.value) {
        const { createdAt, ref } = found.entry;
        notes.push(`started warm from the environment set up at ${createdAt} (Modal snapshot image ${ref})`);
        return { sandbox: found.value, warm: true, notes };
      }
      // A forgotten entry lets this job's save replace it, instead of every later job starting cold.
      if (gone) await cache.forget(environment.repo, environment.cacheKey);
      if (gone)
        notes.push(
          `the cached environment's snapshot image is gone at Modal (it keeps one ${SNAPSHOT_TTL_DAYS} days): started cold`,
        );
    }
    const tag = environment?.image;
    if (!tag) return { sandbox: await create(await this.images.base()), warm: false, notes };
    const image = await this.images.registry(tag).catch((error: unknown) => {
      throw imageFailure(tag, error);
    });
    notes.push(`sandbox image ${tag} (devcontainer.json)`);
    return { sandbox: await create(image), warm: false, notes };
  }

  /** Snapshots `sandbox`'s filesystem into the cache under its environment's key (one save per key wins). */
  async save(sandbox: Sandbox, environment: SandboxEnvironment): Promise<EnvCacheSaved> {
    const cache = await this.envCache();
    return cache.save(environment.repo, environment.cacheKey, async () => {
      const image = await sandbox.snapshotFilesystem({
        ttlMs: SNAPSHOT_TTL_DAYS * 24 * 3_600_000,
        timeoutMs: SNAPSHOT_TIMEOUT_MS,
      });
      return { ref: image.imageId };
    });
  }
}
