/**
 * The limit on sandboxes one service holds at once. A create for a job that already has its
 * sandbox always passes (it is idempotent); a new one past the limit is a retryable 429 with
 * Retry-After, counting creates still in flight so a burst cannot overshoot.
 */
import type { SandboxInfo } from "../protocol/sandbox";
import type { Backend } from "./backends/types";
import { ServiceError } from "./errors";
import { CAPACITY_RETRY_AFTER_SECONDS } from "./limits";

export class SandboxCapacity {
  private pending = 0;

  constructor(private readonly max: number) {}

  /** Runs `create` when there is room (or the job already has a sandbox), else throws the 429. */
  async admit<T extends { sandbox: SandboxInfo }>(
    backend: Backend,
    jobId: string,
    create: () => Promise<T>,
  ): Promise<T> {
    const live = await backend.list();
    if (live.some((s) => s.jobId === jobId)) return create();
    if (live.length + this.pending >= this.max) {
      throw new ServiceError(
        429,
        "too many sandboxes",
        `this service holds its limit of ${this.max} sandboxes; retry when a job ends`,
        true,
        CAPACITY_RETRY_AFTER_SECONDS,
      );
    }
    this.pending++;
    try {
      return await create();
    } finally {
      this.pending--;
    }
  }
}
