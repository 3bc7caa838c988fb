/**
 * The loggers our libraries take (Octokit's `log`, the openai SDK's `logger`, Bolt's through
 * slack/bolt-logger.ts), writing through the Worker's structured log. Their defaults print plain
 * text to the console (Octokit: `GET /repos/o/r - 404 with id … in 8ms`), which is neither JSON
 * nor redacted; through here it is both, tagged with the library's name in `logger`.
 */
import { type LogLevel, log } from "./log";

/** Console-shaped methods: `(message, ...extra)`, as each of these libraries calls them. */
export type ConsoleMethods = Record<LogLevel, (...parts: unknown[]) => void>;

const ORDER: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** The text parts make the message; anything else (an error, a details object) goes in `details`. */
export function libraryEntry(
  parts: unknown[],
  name: string,
): { msg: string; fields: Record<string, unknown> } {
  const text = parts.filter((part): part is string => typeof part === "string").join(" ");
  const details = parts.filter((part) => typeof part !== "string");
  const fallback = details[0] instanceof Error ? details[0].message : `${name} log`;
  return { msg: text || fallback, fields: { logger: name, ...(details.length > 0 ? { details } : {}) } };
}

/**
 * Methods for library `name` that drop entries below `lowest` (libraries log each request at
 * info), adding `fields` (a job's client gets its `job_id`) to every line.
 */
export function libraryLogger(
  name: string,
  lowest: LogLevel = "warn",
  fields: Record<string, unknown> = {},
): ConsoleMethods {
  const at =
    (level: LogLevel) =>
    (...parts: unknown[]): void => {
      if (ORDER.indexOf(level) < ORDER.indexOf(lowest)) return;
      const entry = libraryEntry(parts, name);
      log[level](entry.msg, { ...fields, ...entry.fields });
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
