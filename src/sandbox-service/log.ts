/**
 * Structured logging: one JSON object per line on stdout, the same envelope as the Worker's
 * (`time`, `level`, `msg`, `job_id`, `trace_id`/`span_id`, then the fields). Callers pass only
 * what is safe to record (method, route, status, ids, timings), never the bearer token, a clone
 * ticket or a request body; string values still go through the Worker's redaction as a backstop
 * (an error's message may quote a command's output).
 */
import { isSpanContextValid, trace } from "@opentelemetry/api";
import { redact } from "../worker/redact";

export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

type Level = "info" | "warn" | "error";

/**
 * The trace and span ids of a W3C `traceparent` header (version 00), for a request's lines when no
 * span of ours is active; undefined for a missing or malformed header.
 */
export function traceparentIds(
  header: string | undefined,
): { trace_id: string; span_id: string } | undefined {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(header?.trim() ?? "");
  if (!match?.[1] || !match[2] || /^0+$/.test(match[1]) || /^0+$/.test(match[2])) return undefined;
  return { trace_id: match[1], span_id: match[2] };
}

/** The active span's ids (the tracing SDK, when registered, makes the request's span active). */
function activeSpanIds(): { trace_id?: string; span_id?: string } {
  const context = trace.getActiveSpan()?.spanContext();
  return context && isSpanContextValid(context) ? { trace_id: context.traceId, span_id: context.spanId } : {};
}

/** The line for one entry; fields cannot overwrite the envelope, an active span beats `traceparent`. */
export function logLine(level: Level, msg: string, fields: LogFields = {}): string {
  const { time: _t, level: _l, msg: _m, job_id, trace_id, span_id, ...rest } = fields;
  const active = activeSpanIds();
  const safe: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(rest))
    if (value !== undefined) safe[key] = typeof value === "string" ? redact(value) : value;
  return JSON.stringify({
    time: new Date().toISOString(),
    level,
    msg: redact(msg),
    ...(job_id === undefined ? {} : { job_id }),
    ...(active.trace_id ? active : trace_id === undefined ? {} : { trace_id, span_id }),
    ...safe,
  });
}

/** A logger writing `logLine`s through `write` (stdout by default). */
export function jsonLogger(write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  const emit =
    (level: Level) =>
    (msg: string, fields?: LogFields): void =>
      write(`${logLine(level, msg, fields)}\n`);
  return { info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
