/**
 * Plain-text formatting shared by the job page's components: durations, token counts, cost and
 * the one-line form of a step's input. Text only; escaping is JSX's job.
 */
import type { Usage } from "../../protocol/events";
import { formatDuration, stepSummary } from "../slack/format";

export { formatDuration };

/** A step's input on one line, clipped for the step's summary. */
export function inputLine(input: string, max = 120): string {
  const line = stepSummary(input).replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** `850 ms` or `12.3 s`. */
export function stepDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** An ISO 8601 duration (`PT75S`), for `<time datetime>`. */
export function isoDuration(ms: number): string {
  return `PT${Math.max(0, Math.round(ms / 1000))}S`;
}

const count = (n: number) => n.toLocaleString("en-US");

/** The final token counts, or what there is while the job runs. */
export function tokensText(usage: Usage | null): string {
  if (!usage) return "counted when the job ends";
  return `${count(usage.promptTokens)} prompt + ${count(usage.completionTokens)} completion`;
}

export function costText(usage: Usage | null): string {
  if (!usage) return "estimated when the job ends";
  return usage.costUsd === undefined ? "no price known for this model" : `about $${usage.costUsd.toFixed(4)}`;
}
