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
import { mkdir, readdir, rename, rm } from "node:fs/promises";
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

/**
 * Copies the environment cached for `environment` into the (empty) workspace and HOME of a new
 * sandbox; false when there is none, or when the copy failed (the directories are emptied again
 * and the sandbox starts cold: a cache that cannot be read must not fail the job).
 */
export async function restoreEnvironment(
  cache: EnvCache,
  environment: SandboxEnvironment,
  dirs: EnvironmentDirs,
  log?: Logger,
): Promise<boolean> {
  try {
    const hit = await cache.warm(environment.repo, environment.cacheKey, async (entry) => {
      await copyTree(join(cache.dir, entry.ref, "workspace"), dirs.workspace);
      await copyTree(join(cache.dir, entry.ref, "home"), dirs.homeDir);
      return true;
    });
    return hit !== undefined;
  } catch (error) {
    log?.warn("env cache: restoring an environment failed; starting cold", {
      repo: environment.repo,
      error: error instanceof Error ? error.message : String(error),
    });
    for (const dir of [dirs.workspace, dirs.homeDir]) {
      for (const name of await readdir(dir)) await rm(join(dir, name), { recursive: true, force: true });
    }
    return false;
  }
}
