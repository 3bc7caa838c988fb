/**
 * Server-sent events from a JobRoom: replay the log after a sequence number, then follow it live
 * until `done`, with a `: keepalive` comment every 15 s and, first, a `retry:` for browsers that
 * reconnect. Many subscribers share one log; the stream is pulled, so a frame is made only when
 * the reader asks, and the reader's cancel (the client went away) ends the subscription.
 */
import type { LoggedEvent } from "../../protocol/events";

const KEEPALIVE_MS = 15_000;
/** A replayed backlog goes out in chunks of about this many characters, not one per event. */
const BATCH_CHARS = 64 * 1024;
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
  /**
   * Called once, when the stream's reader has taken the backlog and asks for more (or cancels):
   * what may wait for the first events to be on their way (a new job's Workflow) waits for this.
   */
  sent?: () => void;
}

/**
 * A stream's `sent` signal as a promise, settled when the reader took the backlog or, at the
 * latest, after `ms` (a reader that never reads must not hold back what waits for it).
 */
export function backlogTaken(ms: number): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((settle) => {
    const timer = setTimeout(settle, ms);
    resolve = () => {
      clearTimeout(timer);
      settle();
    };
  });
  return { promise, resolve };
}

/** One event as an SSE frame; JSON text has no line break of its own, so it is one `data:` line. */
function frame(event: LoggedEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event.data)}\nid: ${event.seq}\n\n`;
}

/** The backlog's frames in writes of about BATCH_CHARS, the first one after `head`. */
function batches(head: string, events: LoggedEvent[]): string[] {
  const out: string[] = [];
  let batch = head;
  for (const event of events) {
    batch += frame(event);
    if (batch.length >= BATCH_CHARS) {
      out.push(batch);
      batch = "";
    }
  }
  if (batch !== "") out.push(batch);
  return out;
}

const HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  connection: "keep-alive",
};

/**
 * Answers one SSE request from `source`; the stream closes after `done`. A pull stream: nothing
 * is made before the reader asks, so a reader that stops reading holds its events in `live`.
 */
export function serveEvents(source: EventSource): Response {
  const encoder = new TextEncoder();
  // Read and subscribe with no await between: nothing appended in between can be missed.
  const backlog = source.read(source.after);
  const live = source.subscribers.subscribe();
  const queued = batches(`retry: ${RETRY_MS}\n\n`, backlog);
  let last = backlog.at(-1)?.seq ?? source.after;
  let ended = backlog.at(-1)?.type === "done";
  let told = false;
  let cancelled = false;
  const sent = () => {
    if (!told) source.sent?.();
    told = true;
  };
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const batch = queued.shift();
        if (batch !== undefined) return controller.enqueue(encoder.encode(batch));
        // The reader took the whole backlog and asks for more: the first events are on their way.
        sent();
        while (!ended) {
          const event = await live.next(KEEPALIVE_MS);
          if (cancelled) return;
          if (event === null) return controller.enqueue(encoder.encode(": keepalive\n\n"));
          if (event.seq <= last) continue;
          last = event.seq;
          ended = event.type === "done";
          return controller.enqueue(encoder.encode(frame(event)));
        }
        live.close();
        controller.close();
      },
      // The client went away: workerd cancels a body it can no longer write.
      cancel() {
        cancelled = true;
        live.close();
        sent();
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { status: 200, headers: HEADERS });
}
