/**
 * The Worker's structured log: one JSON object per console line (`time`, `level`, `msg`, `job_id`
 * when there is one, `trace_id`/`span_id` of the active OpenTelemetry span, then the fields).
 * workerd's console is the transport: Workers Logs indexes a JSON line's keys for queries.
 * Every value goes through `redact` (a secret shaped like a key or token never gets out), errors
 * become their name, message and code, and request-like objects are never written whole.
 */
import { isSpanContextValid, trace } from "@opentelemetry/api";
import { redact } from "./redact";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

/** A field whose name says it holds a credential is dropped whatever its value looks like. */
const SECRET_KEY = /(authorization|cookie|password|secret|token|api_?key|private_?key)$/i;
/** Deep enough for an error's cause or a small report; deeper is cut rather than walked. */
const MAX_DEPTH = 4;
const MAX_ITEMS = 50;

/** A JSON-safe, redacted copy of `value` (undefined when it should be left out). */
export function safeValue(value: unknown, depth = 0): unknown {
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return undefined;
  if (value === null || typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "string") return redact(value);
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return errorFields(value, depth);
  // Their headers carry the bearer token or the Slack signature: name what it was, nothing more.
  if (value instanceof Request) return { method: value.method, path: new URL(value.url).pathname };
  if (value instanceof Response) return { status: value.status };
  if (value instanceof Headers) return "[headers]";
  if (value instanceof Date) return value.toISOString();
  if (depth >= MAX_DEPTH) return "[nested]";
  if (Array.isArray(value))
    return value.slice(0, MAX_ITEMS).map((item) => safeValue(item, depth + 1) ?? null);
  return safeObject(value as Record<string, unknown>, depth + 1);
}

function safeObject(value: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value).slice(0, MAX_ITEMS)) {
    const safe = SECRET_KEY.test(key) ? "[redacted]" : safeValue(item, depth);
    if (safe !== undefined) out[key] = safe;
  }
  return out;
}

/** An error as what explains it: never its stack's source lines or a request it holds. */
function errorFields(error: Error, depth: number): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  const status = (error as { status?: unknown }).status;
  return {
    name: error.name,
    message: redact(error.message),
    ...(typeof code === "string" || typeof code === "number" ? { code } : {}),
    ...(typeof status === "number" ? { status } : {}),
    ...(error.cause !== undefined && depth < MAX_DEPTH ? { cause: safeValue(error.cause, depth + 1) } : {}),
  };
}

/** The active span's ids, when a tracer provider is registered and a span is recording. */
function traceFields(): { trace_id?: string; span_id?: string } {
  const context = trace.getActiveSpan()?.spanContext();
  return context && isSpanContextValid(context) ? { trace_id: context.traceId, span_id: context.spanId } : {};
}

/** The line `write` would print for this entry (exported for tests and the Bolt adapter). */
export function logLine(level: LogLevel, msg: string, fields: LogFields = {}): string {
  // The envelope's keys are ours: a field cannot overwrite them.
  const { time: _t, level: _l, msg: _m, job_id, ...rest } = fields;
  return JSON.stringify({
    time: new Date().toISOString(),
    level,
    msg: redact(msg),
    ...(job_id === undefined ? {} : { job_id: safeValue(job_id) }),
    ...traceFields(),
    ...safeObject(rest, 0),
  });
}

const CONSOLE: Record<LogLevel, (line: string) => void> = {
  // workerd maps console.debug/info/warn/error to the entry's level in Workers Logs.
  debug: (line) => console.debug(line),
  info: (line) => console.info(line),
  warn: (line) => console.warn(line),
  error: (line) => console.error(line),
};

function emit(level: LogLevel): (msg: string, fields?: LogFields) => void {
  return (msg, fields) => CONSOLE[level](logLine(level, msg, fields));
}

/** `log.info("job finished", { job_id, status })`: the only way Worker code writes a log line. */
export const log = {
  debug: emit("debug"),
  info: emit("info"),
  warn: emit("warn"),
  error: emit("error"),
} as const;
