/**
 * The local backend's side of the environment cache: an entry is a directory `<root>/env-cache/
 * entry-<uuid>/` holding a copy of a set-up sandbox's workspace (without `.git`, which the next
 * job's clone replaces) and HOME, beside the cache's index. Saving copies into `tmp-<uuid>/` and
 * renames it into place; a warm create copies the other way. Copies are `cp -a --reflink=auto`:
 * a reflink (copy-on-write) where the filesystem allows, else a plain copy, never hardlinks,
 * because a job editing a file in place (`sed -i` on node_modules, a build tool appending to a
 * cache file) would then edit the cached file too and leak into every later job.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SandboxEnvironment } from "../../protocol/sandbox";
import { EnvCache, type EnvCacheLimits, type EnvCacheSaved } from "../env-cache";
import { ServiceError } from "../errors";
import type { Logger } from "../log";
import { ByteCollector } from "../output-cap";
import { runProcess } from "../process-run";

/** A copy of a large node_modules on a slow disk still fits; a stuck copy is not waited for forever. */
const COPY_TIMEOUT_MS = 15 * 60_000;
const ENTRY = /^entry-[0-9a-f-]{36}$/;
const TEMP = /^tmp-[0-9a-f-]{36}$/;

/** A sandbox's directories an environment is copied from and into. */
export interface EnvironmentDirs {
  workspace: string;
  homeDir: string;
}

async function hostTool(file: string, args: string[], signal?: AbortSignal): Promise<string> {
  const stdout = new ByteCollector(64 * 1024);
  const stderr = new ByteCollector(16 * 1024);
  const outcome = await runProcess({
    file,
    args,
    env: { PATH: "/usr/bin:/bin", LANG: "C" },
    timeoutMs: COPY_TIMEOUT_MS,
    signal,
    onStdout: (chunk) => stdout.push(chunk),
    onStderr: (chunk) => stderr.push(chunk),
  });
  if (outcome.aborted) throw new ServiceError(404, "sandbox not found", "terminated during the copy");
  if (outcome.exitCode !== 0)
    throw new ServiceError(500, `${file} failed`, stderr.bytes().toString("utf8").trim().slice(-1000));
  return stdout.bytes().toString("utf8");
}

/** Copies the entries of `from` (all but `skip`) into the existing directory `to`, keeping modes, links and times. */
async function copyTree(from: string, to: string, signal?: AbortSignal, skip?: string): Promise<void> {
  const names = (await readdir(from)).filter((name) => name !== skip);
  if (names.length === 0) return;
  const sources = names.map((name) => join(from, name));
  await hostTool("cp", ["-a", "--reflink=auto", "-t", to, "--", ...sources], signal);
}

/** The local backend's cache: `<root>/env-cache`, swept of what a crash left half-made or unnamed. */
export async function openLocalCache(
  root: string,
  limits: EnvCacheLimits,
  log?: Logger,
  now?: () => Date,
): Promise<EnvCache> {
  const dir = join(root, "env-cache");
  const cache = await EnvCache.open({
    dir,
    limits,
    log,
    ...(now ? { now } : {}),
    free: async (entry) => {
      // Only ever a directory this backend named: a tampered index cannot point the delete elsewhere.
      if (ENTRY.test(entry.ref))
        await rm(join(dir, entry.ref), { recursive: true, force: true, maxRetries: 3 });
    },
  });
  const named = cache.refs();
  for (const name of await readdir(dir)) {
    if (TEMP.test(name) || (ENTRY.test(name) && !named.has(name)))
      await rm(join(dir, name), { recursive: true, force: true, maxRetries: 3 });
  }
  return cache;
}

/** Stores the sandbox's workspace and HOME under its environment's key (dropped when one is there already). */
export function saveEnvironment(
  cache: EnvCache,
  environment: SandboxEnvironment,
  dirs: EnvironmentDirs,
  signal?: AbortSignal,
): Promise<EnvCacheSaved> {
  return cache.save(environment.repo, environment.cacheKey, async () => {
    const id = randomUUID();
    const temp = join(cache.dir, `tmp-${id}`);
    try {
      await mkdir(join(temp, "workspace"), { recursive: true, mode: 0o700 });
      await mkdir(join(temp, "home"), { mode: 0o700 });
      await copyTree(dirs.workspace, join(temp, "workspace"), signal, ".git");
      await copyTree(dirs.homeDir, join(temp, "home"), signal);
      const bytes = Number.parseInt(await hostTool("du", ["-sb", "--", temp], signal), 10);
      const ref = `entry-${id}`;
      await rename(temp, join(cache.dir, ref));
      return { ref, ...(Number.isSafeInteger(bytes) ? { bytes } : {}) };
    } catch (error) {
      await rm(temp, { recursive: true, force: true, maxRetries: 3 });
      throw error;
    }
  });
}

/** A warm start under way: `hit` settles first (whether there is an entry), `done` once it is copied. */
export interface Restore {
  hit: Promise<boolean>;
  /** Rejects with a 500 `ServiceError` when the copy failed: the sandbox then has no usable environment. */
  done: Promise<void>;
}

/**
 * Starts copying the environment cached for `environment` into the (empty) workspace and HOME
 * of a new sandbox. The copy goes on in the background once `hit` says there is an entry, so the
 * clone's fetch runs while it does; the entry stays in the cache until the copy is over. A
 * lookup that fails is a miss (a cache that cannot be read must not fail the job).
 */
export function startRestore(
  cache: EnvCache,
  environment: SandboxEnvironment,
  dirs: EnvironmentDirs,
  log?: Logger,
): Restore {
  const { promise: hit, resolve: found } = Promise.withResolvers<boolean>();
  const done = cache
    .warm(environment.repo, environment.cacheKey, async (entry) => {
      found(true);
      await copyTree(join(cache.dir, entry.ref, "workspace"), dirs.workspace);
      await copyTree(join(cache.dir, entry.ref, "home"), dirs.homeDir);
    })
    .then(
      (result) => {
        if (!result) found(false);
      },
      (error: unknown) => {
        found(false);
        const detail = error instanceof Error ? error.message : String(error);
        log?.warn("env cache: restoring an environment failed", { repo: environment.repo, error: detail });
        throw new ServiceError(
          500,
          "cached environment lost",
          `copying the cached environment failed: ${detail}`,
        );
      },
    );
  // Awaited by whoever uses the sandbox; a miss that failed has no one to tell.
  done.catch(() => undefined);
  return { hit, done };
}

const RESTORING = "restoring";

/** Marks (in the sandbox's state directory) a copy from the cache under way, for a restart to finish it. */
export async function markRestoring(stateDir: string, on: boolean): Promise<void> {
  const marker = join(stateDir, RESTORING);
  if (on) await writeFile(marker, "", { mode: 0o600 });
  else await rm(marker, { force: true });
}

export function restoring(stateDir: string): boolean {
  return existsSync(join(stateDir, RESTORING));
}
