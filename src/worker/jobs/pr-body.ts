/**
 * The pull request's body: the agent's summary first (what a reviewer reads), then the request
 * that produced it and where to watch the run, so every agent PR explains its own origin.
 */
import type { Change } from "../../protocol/sandbox";

export interface PrBodyInput {
  summary: string;
  prompt: string;
  eventsUrl: string;
  changes: Change[];
}

/** Markdown body for the PR; the prompt is quoted so it cannot pose as the agent's own words. */
export function pullRequestBody(input: PrBodyInput): string {
  const quoted = input.prompt
    .split("\n")
    .map((line) => `> ${line}`)
    .join("\n");
  const files = input.changes.map((c) => `- \`${c.path}\` (${c.status})`).slice(0, 50);
  if (input.changes.length > 50) files.push(`- … and ${input.changes.length - 50} more`);
  return [
    input.summary.trim(),
    "",
    "---",
    "**Request**",
    "",
    quoted,
    "",
    `<details><summary>Files changed (${input.changes.length})</summary>`,
    "",
    ...files,
    "",
    "</details>",
    "",
    `Opened by Modal Coding Agent · [job events](${input.eventsUrl})`,
  ].join("\n");
}
