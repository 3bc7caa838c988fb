/**
 * Bolt's and the Slack Web API client's `Logger` writing through the Worker's structured log, so
 * their lines are JSON with the same envelope (and the same redaction) as ours. Their default
 * ConsoleLogger prints `[WARN]  bolt-app ...` text, which Workers Logs cannot query.
 */
import { type Logger, LogLevel } from "@slack/bolt";
import { libraryEntry } from "../library-log";
import { log, type LogLevel as OurLevel } from "../log";

const SEVERITY: Record<LogLevel, number> = {
  [LogLevel.DEBUG]: 0,
  [LogLevel.INFO]: 1,
  [LogLevel.WARN]: 2,
  [LogLevel.ERROR]: 3,
};

/** A Bolt Logger at `level` (Bolt's setLevel may change it: the state is this instance's own). */
export function boltLogger(level: LogLevel = LogLevel.WARN, name = "slack"): Logger {
  let current = level;
  let label = name;
  const at =
    (ours: OurLevel, theirs: LogLevel) =>
    (...parts: unknown[]): void => {
      if (SEVERITY[theirs] < SEVERITY[current]) return;
      const { msg, fields } = libraryEntry(parts, label);
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
