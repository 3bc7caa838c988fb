// Reading a job's SSE stream the way a client would, with a real SSE parser: every event with its
// id, until the server closes the stream (after `done`) or the caller's deadline passes.
import { createParser, type EventSourceMessage } from "eventsource-parser";

export interface ParsedEvent {
  type: string;
  id: number;
  data: Record<string, unknown>;
}

/** Collects every event of `response` until the stream ends; `comments` counts `: keepalive` lines. */
export async function collectEvents(
  response: Response,
  opts: { until?: (e: ParsedEvent) => boolean; timeoutMs?: number } = {},
): Promise<{ events: ParsedEvent[]; comments: string[] }> {
  const events: ParsedEvent[] = [];
  const comments: string[] = [];
  let stop = false;
  const parser = createParser({
    onEvent(message: EventSourceMessage) {
      const event = {
        type: message.event ?? "message",
        id: Number(message.id),
        data: JSON.parse(message.data),
      };
      events.push(event);
      if (opts.until?.(event)) stop = true;
    },
    onComment(comment) {
      comments.push(comment);
    },
  });
  if (!response.body) throw new Error("no body");
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const timer = setTimeout(() => void reader.cancel(), opts.timeoutMs ?? 60_000);
  try {
    while (!stop) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } finally {
    clearTimeout(timer);
    if (stop) await reader.cancel();
  }
  return { events, comments };
}
