/**
 * The local backend's environments: its cache (opened on first use, under `<root>/env-cache`),
 * a new sandbox's warm start (the copy from the cache, marked in its state directory until done
 * so a restarted service copies again rather than serve half an environment), and the save at
 * `environment/ready`.
 */
import { mkdir } from "node:fs/promises";
import type { EnvironmentReady, EnvironmentReadyRequest, SandboxEnvironment } from "../../protocol/sandbox";
import { DEFAULT_ENV_CACHE_LIMITS, type EnvCache, type EnvCacheLimits } from "../env-cache";
import { ServiceError } from "../errors";
import type { Logger } from "../log";
import {
  type EnvironmentDirs,
  markRestoring,
  openLocalCache,
  type Restore,
  restoring,
  startRestore,
} from "./local-env";
import { type LocalSandbox, saveQuietly, track } from "./local-sandbox";

export interface LocalEnvironmentOptions {
  root: string;
  envCache?: EnvCacheLimits;
  log?: Logger;
  now?: () => Date;
}

export class LocalEnvironments {
  private cache?: Promise<EnvCache>;

  constructor(private readonly options: LocalEnvironmentOptions) {}

  /**
   * Looks `environment` up for a new sandbox and, on a hit, marks its state directory and starts
   * the copy into `dirs`; the restore (to `attach`) on a hit, nothing on a miss.
   */
  async start(
    environment: SandboxEnvironment | undefined,
    dirs: EnvironmentDirs,
    stateDir: string,
  ): Promise<Restore | undefined> {
    if (!environment) return undefined;
    const restore = startRestore(await this.envCache(), environment, dirs, this.options.log);
    if (!(await restore.hit)) return undefined;
    // Before the sandbox is recorded: a restart mid-copy finds the mark and copies again.
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await markRestoring(stateDir, true);
    return restore;
  }

  /** Hands the sandbox its warm start's copy; the mark goes once the copy is done. */
  attach(sandbox: LocalSandbox, restore: Restore): void {
    const done = restore.done.then(async () => {
      if (!(await restore.hit))
        throw new ServiceError(
          500,
          "cached environment lost",
          "the cache no longer holds this sandbox's environment",
        );
      await markRestoring(sandbox.state.dir, false);
    });
    sandbox.restoring = track(sandbox, done);
    // Whoever uses the sandbox sees a failure; nothing else has to.
    sandbox.restoring.catch(() => undefined);
  }

  /** An adopted sandbox whose copy an earlier process did not finish: copied again, over what it left. */
  async resume(sandbox: LocalSandbox): Promise<void> {
    const { environment } = sandbox.phase;
    if (!restoring(sandbox.state.dir) || !environment) return;
    this.attach(sandbox, startRestore(await this.envCache(), environment, sandbox, this.options.log));
  }

  ready(sandbox: LocalSandbox, request: EnvironmentReadyRequest): Promise<EnvironmentReady> {
    // A setup command still running must not keep the network into the agent phase.
    sandbox.setupStop.abort();
    return sandbox.phase.ready(request.save, async (environment) =>
      track(sandbox, saveQuietly(sandbox, environment, await this.envCache(), this.options.log)),
    );
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
}
