/**
 * Server-sent events from a JobRoom: replay the log after a sequence number, then follow it live
 * until `done`, with a `: keepalive` comment every 15 s and, first, a `retry:` for browsers that
 * reconnect. Many subscribers share one log; a failed or aborted write is taken as the client's
 * disconnect (workerd often misses them otherwise).
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { LoggedEvent } from "../../protocol/events";

const KEEPALIVE_MS = 15_000;
/** How long a browser's EventSource waits before it reconnects (with `Last-Event-ID`) after a drop. */
export const RETRY_MS = 2_000;

type Waiter = (event: LoggedEvent | null) => void;

/** Live subscribers of one room; `publish` wakes each with the new event. */
export class Subscribers {
  private readonly queues = new Set<{ pending: LoggedEvent[]; wake: Waiter | null }>();

  publish(event: LoggedEvent): void {
    for (const q of this.queues) {
      if (q.wake) {
        const wake = q.wake;
        q.wake = null;
        wake(event);
      } else q.pending.push(event);
    }
  }

  /** Registers a subscriber; `next(ms)` yields the next event, or null after `ms` of silence. */
  subscribe(): { next(ms: number): Promise<LoggedEvent | null>; close(): void } {
    const q = { pending: [] as LoggedEvent[], wake: null as Waiter | null };
    this.queues.add(q);
    return {
      next: (ms) => {
        const queued = q.pending.shift();
        if (queued) return Promise.resolve(queued);
        return new Promise((resolve) => {
          const timer = setTimeout(() => {
            q.wake = null;
            resolve(null);
          }, ms);
          q.wake = (event) => {
            clearTimeout(timer);
            resolve(event);
          };
        });
      },
      close: () => {
        q.wake?.(null);
        this.queues.delete(q);
      },
    };
  }

  get size(): number {
    return this.queues.size;
  }
}

export interface EventSource {
  after: number;
  read(after: number): LoggedEvent[];
  subscribers: Subscribers;
}

/** Answers one SSE request from `source`; the stream closes after `done`. */
export function serveEvents(source: EventSource): Promise<Response> {
  const app = new Hono();
  app.get("*", (c) =>
    streamSSE(c, async (stream) => {
      // Read and subscribe with no await between: nothing appended in between can be missed.
      const backlog = source.read(source.after);
      const live = source.subscribers.subscribe();
      stream.onAbort(() => live.close());
      let last = source.after;
      try {
        await stream.write(`retry: ${RETRY_MS}\n\n`);
        for (const event of backlog) {
          if (!(await send(event))) return;
        }
        while (!stream.aborted && backlog.at(-1)?.type !== "done") {
          const event = await live.next(KEEPALIVE_MS);
          if (stream.aborted) return;
          if (event === null) {
            await stream.write(": keepalive\n\n");
            continue;
          }
          if (event.seq <= last) continue;
          if (!(await send(event)) || event.type === "done") return;
        }
      } finally {
        live.close();
      }

      async function send(event: LoggedEvent): Promise<boolean> {
        last = event.seq;
        await stream.writeSSE({ event: event.type, data: JSON.stringify(event.data), id: String(event.seq) });
        return !stream.aborted && event.type !== "done";
      }
    }),
  );
  return Promise.resolve(app.fetch(new Request("http://room/events")));
}
