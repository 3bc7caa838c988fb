/**
 * Keeping the prompt bounded: once the transcript passes its character budget, the oldest tool
 * outputs are replaced by a one-line marker, newest kept whole, so a long run's prompt levels off
 * instead of growing with every file the agent reads.
 */
import type { Message } from "./model";

export interface PromptBudget {
  /** Characters of message content the transcript may hold before old outputs are elided. */
  maxChars: number;
  /** The latest tool outputs never elided. */
  keepRecent: number;
}

export const ELIDED_PREFIX = "[output elided to keep the prompt short";

/** Total characters of content and tool-call arguments in `messages`. */
export function transcriptChars(messages: Message[]): number {
  let total = 0;
  for (const m of messages) {
    total += typeof m.content === "string" ? m.content.length : JSON.stringify(m.content ?? "").length;
    if (m.role === "assistant") {
      for (const c of m.tool_calls ?? []) total += c.type === "function" ? c.function.arguments.length : 0;
    }
  }
  return total;
}

/**
 * Elides old tool outputs, oldest first, until the transcript fits `budget` or only the latest
 * `keepRecent` remain whole. Changes `messages` in place; deterministic, so a replay matches.
 */
export function compactTranscript(messages: Message[], budget: PromptBudget): number {
  let total = transcriptChars(messages);
  let elided = 0;
  const tools = messages.flatMap((m, i) => (m.role === "tool" ? [i] : []));
  for (const i of tools.slice(0, Math.max(0, tools.length - budget.keepRecent))) {
    if (total <= budget.maxChars) break;
    const m = messages[i];
    if (m?.role !== "tool" || typeof m.content !== "string" || m.content.startsWith(ELIDED_PREFIX)) continue;
    const marker = `${ELIDED_PREFIX}: ${m.content.length.toLocaleString("en-US")} characters; run the command again if you need it]`;
    if (marker.length >= m.content.length) continue;
    total -= m.content.length - marker.length;
    m.content = marker;
    elided++;
  }
  return elided;
}
