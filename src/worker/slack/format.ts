/**
 * Small text helpers for Slack's mrkdwn: escaping what users typed (so a prompt cannot ping
 * `<!channel>`), durations, token counts and the usage line the final reply carries.
 */
import type { Usage } from "../../protocol/events";

/** Escapes the three characters Slack treats as markup. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Text for an inline code span: escaped, one line, no backticks, at most `max` characters. */
export function codeSpan(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, " ").replace(/`/g, "'").trim();
  const cut = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  return `\`${escapeMrkdwn(cut)}\``;
}

/** At most `max` characters, with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `2h 3m`, `3m 12s` or `12s`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

/** `12 steps · 34,567 prompt + 1,234 completion tokens · 3m 12s` (then `· about $0.08` when priced). */
export function usageLine(usage: Usage): string {
  const n = (value: number) => value.toLocaleString("en-US");
  const steps = `${usage.steps} step${usage.steps === 1 ? "" : "s"}`;
  const tokens = `${n(usage.promptTokens)} prompt + ${n(usage.completionTokens)} completion tokens`;
  const cost = usage.costUsd === undefined ? "" : ` · about $${usage.costUsd.toFixed(2)}`;
  return `${steps} · ${tokens} · ${formatDuration(usage.durationMs)}${cost}`;
}

/** What a step ran, for humans: the `command` of a JSON tool input, else the input itself. */
export function stepSummary(input: string): string {
  try {
    const parsed: unknown = JSON.parse(input);
    if (typeof parsed === "object" && parsed !== null && "command" in parsed) {
      const command = (parsed as { command: unknown }).command;
      if (typeof command === "string") return command;
    }
  } catch {
    // Abbreviated or plain-text input: show it as it is.
  }
  return input;
}
