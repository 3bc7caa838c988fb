/**
 * Small text helpers for Slack's mrkdwn: escaping what users typed (so a prompt cannot ping
 * `<!channel>`), cutting text to Slack's limits without breaking a character or an entity,
 * durations, token counts and the usage line the final reply carries.
 */
import type { Usage } from "../../protocol/events";

/** Slack refuses a section block's text beyond this many characters (`invalid_blocks`). */
export const SECTION_TEXT_MAX = 3_000;
/** Slack refuses a message's `text` beyond this many characters (`msg_too_long`). */
export const MESSAGE_TEXT_MAX = 40_000;

/** Escapes the three characters Slack treats as markup. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Text for an inline code span: escaped, one line, no backticks, at most `max` characters inside. */
export function codeSpan(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, " ").replace(/`/g, "'").trim();
  return `\`${escapeClip(flat, max)}\``;
}

/**
 * At most `max` UTF-16 units (what Slack's limits count, or fewer), with an ellipsis when cut;
 * never half of a surrogate pair.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  if (end > 0 && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * `text` escaped for mrkdwn — with `quote`, every line break continues a `>` block quote — and
 * cut with an ellipsis so the result is at most `max` units long, never inside `&amp;` or a pair.
 */
export function escapeClip(text: string, max: number, quote = false): string {
  const pieces: string[] = [];
  let total = 0;
  for (const point of text) {
    const piece = ESCAPES[point] ?? (quote && point === "\n" ? "\n>" : point);
    pieces.push(piece);
    total += piece.length;
  }
  if (total <= max) return pieces.join("");
  let out = "";
  for (const piece of pieces) {
    if (out.length + piece.length > max - 1) break;
    out += piece;
  }
  return `${out}…`;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
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
