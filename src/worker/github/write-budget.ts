/**
 * The pace of content-creating GitHub requests (POST, PATCH, PUT, DELETE). GitHub's secondary rate
 * limits allow about 80 a minute; a token bucket lets a small burst go at once (a short publish is
 * quick) and then one request per `intervalMs` on average, instead of a fixed second between every
 * two. Waits are computed from the clock, so nothing runs while the bucket is idle.
 */

/** Requests that may go back to back before the average pace applies. */
export const WRITE_BURST = 10;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class WriteBudget {
  #tokens: number;
  #at: number;
  #queue: Promise<void> = Promise.resolve();

  /** `intervalMs` 0 turns pacing off. */
  constructor(
    private readonly intervalMs: number,
    private readonly burst = WRITE_BURST,
    private readonly clock: Clock = realClock,
  ) {
    this.#tokens = burst;
    this.#at = clock.now();
  }

  /** Resolves when one more content-creating request may go; callers are served in order. */
  take(): Promise<void> {
    if (this.intervalMs <= 0) return Promise.resolve();
    const turn = this.#queue.then(() => this.#takeOne());
    // A failed wait must not stall the callers behind it.
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  async #takeOne(): Promise<void> {
    this.#refill();
    if (this.#tokens < 1) {
      await this.clock.sleep(Math.ceil((1 - this.#tokens) * this.intervalMs));
      this.#refill();
    }
    this.#tokens = Math.max(0, this.#tokens - 1);
  }

  #refill(): void {
    const now = this.clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + (now - this.#at) / this.intervalMs);
    this.#at = now;
  }
}

/** Whether a request creates or changes content (GitHub's secondary limits count these). */
export function isContentCreating(method: string): boolean {
  return method !== "GET" && method !== "HEAD" && method !== "OPTIONS";
}
