/**
 * Structured logging: one JSON object per line on stdout. Callers pass only what is safe to
 * record (method, route, status, ids, timings); never the bearer token or a request body.
 */

export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** A logger writing `{"time","level","msg",...fields}` lines through `write` (stdout by default). */
export function jsonLogger(write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  const emit =
    (level: "info" | "warn" | "error") =>
    (msg: string, fields: LogFields = {}): void => {
      write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
    };
  return { info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
