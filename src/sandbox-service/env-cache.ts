/**
 * The cache of set-up environments, shared by both backends: an index on disk (`index.json` in
 * the cache's directory, written atomically) of entries `{key, repo, createdAt, lastUsedAt,
 * bytes?, ref}`, where `ref` is the backend's own handle (local: a directory name beside the
 * index; Modal: a snapshot image id). An entry is found only by the same repository and key, so
 * one is never shared across repositories. Entries unused for `ttlHours` expire (as GitHub's
 * Actions cache does: the key already changes with the lockfiles); past `maxEntries` or
 * `maxBytes` the least recently used go first; whatever leaves the index is handed to `free`,
 * after the index no longer names it (a crash in between leaves an orphan, never a dangling entry:
 * `refs()` lets a backend sweep what the index does not name). An entry in use (`warm`) is never
 * evicted under the user's feet; it goes once released, if it still should.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { Logger } from "./log";
import { readJsonFile, writeJsonAtomic } from "./sandbox-state";

export const DEFAULT_ENV_CACHE_TTL_HOURS = 72;
export const DEFAULT_ENV_CACHE_MAX_ENTRIES = 20;
export const DEFAULT_ENV_CACHE_MAX_BYTES = 20 * 1024 ** 3;

export interface EnvCacheLimits {
  ttlHours: number;
  maxEntries: number;
  /** Sum of the entries' `bytes` (entries without a size count 0: Modal reports none). */
  maxBytes: number;
}

export const DEFAULT_ENV_CACHE_LIMITS: EnvCacheLimits = {
  ttlHours: DEFAULT_ENV_CACHE_TTL_HOURS,
  maxEntries: DEFAULT_ENV_CACHE_MAX_ENTRIES,
  maxBytes: DEFAULT_ENV_CACHE_MAX_BYTES,
};

const entrySchema = z.object({
  key: z.string().min(1),
  repo: z.string().min(1),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime(),
  bytes: z.number().int().nonnegative().optional(),
  ref: z.string().min(1),
});
export type EnvCacheEntry = z.infer<typeof entrySchema>;

const indexSchema = z.object({ entries: z.array(entrySchema) });

export interface EnvCacheOptions {
  /** Holds `index.json` (created when missing); the local backend keeps its entries' directories here too. */
  dir: string;
  limits: EnvCacheLimits;
  /** Frees what an entry held (local: deletes its directory; Modal: nothing to do or the image). */
  free(entry: EnvCacheEntry): Promise<void>;
  log?: Logger;
  now?: () => Date;
}

/** What `save` did: whether this call's environment was kept, and how many entries it pushed out. */
export interface EnvCacheSaved {
  saved: boolean;
  bytes?: number;
  evicted: number;
}

/** What `store` made for `save`: the backend's handle and, when known, its size. */
export interface StoredEnvironment {
  ref: string;
  bytes?: number;
}

/** The service's cache bounds from its environment; throws naming the key of a bad value. */
export function envCacheLimitsFromEnv(env: Record<string, string | undefined>): EnvCacheLimits {
  const read = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0 || (name !== "ENV_CACHE_TTL_HOURS" && !Number.isInteger(value)))
      throw new Error(
        `${name} must be a positive ${name === "ENV_CACHE_TTL_HOURS" ? "number" : "integer"}, not ${raw}`,
      );
    return value;
  };
  return {
    ttlHours: read("ENV_CACHE_TTL_HOURS", DEFAULT_ENV_CACHE_TTL_HOURS),
    maxEntries: read("ENV_CACHE_MAX_ENTRIES", DEFAULT_ENV_CACHE_MAX_ENTRIES),
    maxBytes: read("ENV_CACHE_MAX_BYTES", DEFAULT_ENV_CACHE_MAX_BYTES),
  };
}

const identity = (repo: string, key: string): string => `${repo}\n${key}`;

/** One backend's cache of environments (one instance per directory: it serialises the index's writes). */
export class EnvCache {
  private entries: EnvCacheEntry[] = [];
  /** Index reads and writes, one at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly saving = new Set<string>();
  private readonly inUse = new Map<string, number>();

  private constructor(private readonly options: EnvCacheOptions) {}

  /** Reads the index (a missing or torn one is empty) and drops what expired while nothing ran. */
  static async open(options: EnvCacheOptions): Promise<EnvCache> {
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    const cache = new EnvCache(options);
    const index = await readJsonFile(cache.indexPath, indexSchema);
    cache.entries = index?.entries ?? [];
    await cache.locked(() => cache.evict([]));
    return cache;
  }

  get dir(): string {
    return this.options.dir;
  }

  private get indexPath(): string {
    return join(this.options.dir, "index.json");
  }

  /** The refs the index names: what a backend must keep when it sweeps orphans of a crash. */
  refs(): Set<string> {
    return new Set(this.entries.map((e) => e.ref));
  }

  /** A copy of the index, most recently used first. */
  list(): EnvCacheEntry[] {
    return [...this.entries].sort((a, b) => b.lastUsedAt.localeCompare(a.lastUsedAt));
  }

  /**
   * Runs `use` on the live entry of (`repo`, `key`), which stays in the cache until `use` settles;
   * marks it used. `undefined` (and `use` not run) when there is none or it expired.
   */
  async warm<T>(
    repo: string,
    key: string,
    use: (entry: EnvCacheEntry) => Promise<T>,
  ): Promise<{ entry: EnvCacheEntry; value: T } | undefined> {
    const id = identity(repo, key);
    const entry = await this.locked(async () => {
      await this.evict([]);
      const found = this.entries.find((e) => identity(e.repo, e.key) === id);
      if (!found) return undefined;
      found.lastUsedAt = this.now().toISOString();
      await this.writeIndex();
      this.inUse.set(id, (this.inUse.get(id) ?? 0) + 1);
      return { ...found };
    });
    if (!entry) return undefined;
    try {
      return { entry, value: await use(entry) };
    } finally {
      const left = (this.inUse.get(id) ?? 1) - 1;
      if (left > 0) this.inUse.set(id, left);
      else this.inUse.delete(id);
      // What the bounds spared while it was in use may have to go now.
      await this.locked(() => this.evict([])).catch((error: unknown) =>
        this.warn("env cache eviction failed", error),
      );
    }
  }

  /**
   * Stores the environment of (`repo`, `key`) unless one is stored or being stored already (then
   * this call is dropped and `store` never runs: one wins). `store` writes the backend's copy
   * somewhere no reader looks until it returns (local: a temporary directory renamed into place);
   * the entry enters the index only afterwards, so a crash mid-save leaves at most an orphan.
   * The new entry counts as the most recently used; one larger than `maxBytes` on its own is not kept.
   */
  async save(repo: string, key: string, store: () => Promise<StoredEnvironment>): Promise<EnvCacheSaved> {
    const id = identity(repo, key);
    if (this.saving.has(id)) return { saved: false, evicted: 0 };
    this.saving.add(id);
    try {
      const exists = await this.locked(async () => {
        await this.evict([]);
        return this.entries.some((e) => identity(e.repo, e.key) === id);
      });
      if (exists) return { saved: false, evicted: 0 };
      const stored = await store();
      if ((stored.bytes ?? 0) > this.options.limits.maxBytes) {
        await this.freeAll([{ key, repo, createdAt: "", lastUsedAt: "", ref: stored.ref }]);
        return { saved: false, evicted: 0 };
      }
      return await this.locked(async () => {
        const at = this.now().toISOString();
        const entry: EnvCacheEntry = { key, repo, createdAt: at, lastUsedAt: at, ref: stored.ref };
        if (stored.bytes !== undefined) entry.bytes = stored.bytes;
        this.entries.push(entry);
        try {
          const evicted = await this.evict([entry]);
          return {
            saved: true,
            ...(stored.bytes === undefined ? {} : { bytes: stored.bytes }),
            evicted: evicted.length,
          };
        } catch (error) {
          // The index could not be written: forget the entry, so nothing names what is freed.
          this.entries = this.entries.filter((e) => e !== entry);
          await this.freeAll([entry]);
          throw error;
        }
      });
    } finally {
      this.saving.delete(id);
    }
  }

  /**
   * Drops the entry of (`repo`, `key`) whose backing the backend found gone (a Modal snapshot
   * image past its lifetime), so the next save of that key is kept instead of dropped. Its
   * resource is freed as an evicted one's would be; an entry in use by another job stays.
   */
  async forget(repo: string, key: string): Promise<void> {
    const id = identity(repo, key);
    await this.locked(async () => {
      if ((this.inUse.get(id) ?? 0) > 0) return;
      const gone = this.entries.filter((e) => identity(e.repo, e.key) === id);
      if (gone.length === 0) return;
      this.entries = this.entries.filter((e) => !gone.includes(e));
      await this.writeIndex();
      await this.freeAll(gone);
    });
  }

  /** Removes every entry (tests, operators); frees each. */
  async clear(): Promise<void> {
    await this.locked(async () => {
      const gone = this.entries.filter((e) => !this.inUse.has(identity(e.repo, e.key)));
      this.entries = this.entries.filter((e) => !gone.includes(e));
      await this.writeIndex();
      await this.freeAll(gone);
    });
  }

  /**
   * Drops expired entries, then the least recently used while a bound is passed (entries in use
   * and `fresh` ones are spared), writes the index and frees what left it. Under the lock.
   */
  private async evict(fresh: EnvCacheEntry[]): Promise<EnvCacheEntry[]> {
    const { ttlHours, maxEntries, maxBytes } = this.options.limits;
    const oldest = this.now().getTime() - ttlHours * 3_600_000;
    const busy = (e: EnvCacheEntry): boolean => this.inUse.has(identity(e.repo, e.key));
    const gone = this.entries.filter((e) => !busy(e) && Date.parse(e.lastUsedAt) < oldest);
    let kept = this.entries.filter((e) => !gone.includes(e));
    const bytes = (list: EnvCacheEntry[]): number => list.reduce((sum, e) => sum + (e.bytes ?? 0), 0);
    // Least recently used first; never this save's own entry (it fits `maxBytes` on its own).
    const candidates = kept
      .filter((e) => !busy(e) && !fresh.includes(e))
      .sort((a, b) => a.lastUsedAt.localeCompare(b.lastUsedAt));
    for (const candidate of candidates) {
      if (kept.length <= maxEntries && bytes(kept) <= maxBytes) break;
      gone.push(candidate);
      kept = kept.filter((e) => e !== candidate);
    }
    if (gone.length === 0 && fresh.length === 0) return [];
    this.entries = kept;
    await this.writeIndex();
    await this.freeAll(gone);
    return gone;
  }

  private async freeAll(entries: EnvCacheEntry[]): Promise<void> {
    for (const entry of entries) {
      try {
        await this.options.free(entry);
      } catch (error) {
        // The index no longer names it: at worst an orphan a later sweep removes.
        this.warn("env cache entry could not be freed", error, entry);
      }
    }
  }

  private writeIndex(): Promise<void> {
    return writeJsonAtomic(this.indexPath, { entries: this.entries });
  }

  private locked<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    // The chain only orders the work; each caller sees its own failure through `run`.
    this.queue = run.catch(() => undefined);
    return run;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private warn(msg: string, error: unknown, entry?: EnvCacheEntry): void {
    const detail = error instanceof Error ? error.message : String(error);
    this.options.log?.warn(msg, { error: detail, repo: entry?.repo, ref: entry?.ref });
  }
}
