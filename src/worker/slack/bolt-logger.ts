/**
 * Bolt's and the Slack Web API client's `Logger` writing through the Worker's structured log, so
 * their lines are JSON with the same envelope (and the same redaction) as ours. Their default
 * ConsoleLogger prints `[WARN]  bolt-app ...` text, which Workers Logs cannot query.
 */
import { type Logger, LogLevel } from "@slack/bolt";
import { log, type LogLevel as OurLevel } from "../log";

const SEVERITY: Record<LogLevel, number> = {
  [LogLevel.DEBUG]: 0,
  [LogLevel.INFO]: 1,
  [LogLevel.WARN]: 2,
  [LogLevel.ERROR]: 3,
};

/** Bolt logs `(...msg: any[])`: the text parts make the message, anything else goes in `details`. */
function entry(parts: unknown[], name: string): { msg: string; fields: Record<string, unknown> } {
  const text = parts.filter((part): part is string => typeof part === "string").join(" ");
  const details = parts.filter((part) => typeof part !== "string");
  const fallback = details[0] instanceof Error ? details[0].message : "slack client log";
  return {
    msg: text || fallback,
    fields: { logger: name, ...(details.length > 0 ? { details } : {}) },
  };
}

/** A Bolt Logger at `level` (Bolt's setLevel may change it: the state is this instance's own). */
export function boltLogger(level: LogLevel = LogLevel.WARN, name = "slack"): Logger {
  let current = level;
  let label = name;
  const at =
    (ours: OurLevel, theirs: LogLevel) =>
    (...parts: unknown[]): void => {
      if (SEVERITY[theirs] < SEVERITY[current]) return;
      const { msg, fields } = entry(parts, label);
      log[ours](msg, fields);
    };
  return {
    debug: at("debug", LogLevel.DEBUG),
    info: at("info", LogLevel.INFO),
    warn: at("warn", LogLevel.WARN),
    error: at("error", LogLevel.ERROR),
    setLevel: (next) => {
      current = next;
    },
    getLevel: () => current,
    setName: (next) => {
      label = next;
    },
  };
}
