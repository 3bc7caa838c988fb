/**
 * Exactly-once execution per idempotency key: the first call with a key runs, every later call
 * with that key gets the same promise (still running or settled). Kept per sandbox, bounded by
 * forgetting the oldest settled entries, and dropped when the sandbox is terminated.
 */
import { ServiceError } from "./errors";

interface Entry<T> {
  fingerprint: string;
  result: Promise<T>;
  settled: boolean;
}

export class IdempotentRuns<T> {
  private readonly bySandbox = new Map<string, Map<string, Entry<T>>>();

  constructor(private readonly maxPerSandbox: number) {}

  /**
   * Runs `work` once for (`sandboxId`, `key`). `fingerprint` identifies the request: a key reused
   * for a different request is refused with 409. A failed run is forgotten so a retry may run again.
   */
  run(sandboxId: string, key: string, fingerprint: string, work: () => Promise<T>): Promise<T> {
    let entries = this.bySandbox.get(sandboxId);
    if (!entries) {
      entries = new Map();
      this.bySandbox.set(sandboxId, entries);
    }
    const existing = entries.get(key);
    if (existing) {
      if (existing.fingerprint !== fingerprint) {
        return Promise.reject(
          new ServiceError(
            409,
            "idempotency key reused",
            `key ${key} was first used for a different command`,
          ),
        );
      }
      return existing.result;
    }
    const entry: Entry<T> = { fingerprint, result: work(), settled: false };
    entries.set(key, entry);
    const owner = entries;
    entry.result.then(
      () => {
        entry.settled = true;
      },
      () => {
        if (owner.get(key) === entry) owner.delete(key);
      },
    );
    this.evict(entries);
    return entry.result;
  }

  /** Forgets every key of a sandbox (after it is terminated). */
  forget(sandboxId: string): void {
    this.bySandbox.delete(sandboxId);
  }

  private evict(entries: Map<string, Entry<T>>): void {
    for (const [key, entry] of entries) {
      if (entries.size <= this.maxPerSandbox) return;
      if (entry.settled) entries.delete(key);
    }
  }
}
