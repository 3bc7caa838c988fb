/**
 * The pull request's body: the agent's summary first (what a reviewer reads), then what a reviewer
 * needs to trust it — the request and who made it, the checks that really ran with their exit
 * codes, the files changed, usage and cost, and the link to the job's live page. A PR that
 * follow-ups continued renders every turn instead (pr-turns.ts), from the same pieces.
 */
import type { Change } from "../../protocol/sandbox";
import type { CheckRun } from "../agent/checks";
import type { Refusal } from "../github/policy";

export interface PrBodyInput {
  summary: string;
  prompt: string;
  /** The job's page (`GET /jobs/:id`): its steps, messages and diff. */
  pageUrl: string;
  changes: Change[];
  /** Who asked: a Slack user id, `api:<token name>`, or `github:<login>`. */
  requester?: string;
  /** Test and lint commands from the step records, in the order they ran. */
  checks: CheckRun[];
  /** The repository declares tests (so "none ran" is worth saying). */
  hasTests: boolean;
  usage: { steps: number; promptTokens: number; completionTokens: number; costUsd?: number };
  /** Why the run stopped before `finish`, when it did: the PR is then unfinished. */
  unfinished?: string;
  /** Changes the publishing policy left out, with the reason for each. */
  refused?: Refusal[];
}

/** Markdown body for the PR; the prompt is quoted so it cannot pose as the agent's own words. */
export function pullRequestBody(input: PrBodyInput): string {
  const quoted = quote(input.prompt);
  const files = input.changes.map((c) => `- \`${c.path}\` (${c.status})`).slice(0, 50);
  if (input.changes.length > 50) files.push(`- … and ${input.changes.length - 50} more`);
  const head = input.unfinished
    ? [
        "> [!WARNING]",
        `> **Unfinished.** ${input.unfinished} This draft holds the changes made so far; review them with care.`,
        "",
      ]
    : [];
  return [
    ...head,
    input.summary.trim(),
    "",
    "---",
    `**Request**${input.requester ? ` from ${requesterText(input.requester)}` : ""}`,
    "",
    quoted,
    "",
    "**Checks run by the agent**",
    "",
    ...checksText(input.checks, input.hasTests),
    "",
    `<details><summary>Files changed (${input.changes.length})</summary>`,
    "",
    ...files,
    "",
    "</details>",
    "",
    ...refusedText(input.refused ?? []),
    `Usage: ${usageText(input.usage)}`,
    "",
    `Opened by Modal Coding Agent · [job page](${input.pageUrl})`,
  ].join("\n");
}

/** `text` as a Markdown block quote, line by line. */
export function quote(text: string): string {
  return text
    .split("\n")
    .map((line) => `> ${line}`)
    .join("\n");
}

export function refusedText(refused: Refusal[]): string[] {
  if (refused.length === 0) return [];
  const lines = refused.map((r) => `- \`${r.path}\`: ${r.reason}`);
  return [
    "> [!IMPORTANT]",
    "> **Left out by the publishing policy** — the agent changed these, but they are not in this PR:",
    "",
    ...lines,
    "",
  ];
}

export function checksText(checks: CheckRun[], hasTests: boolean): string[] {
  if (checks.length === 0) {
    return [hasTests ? "- none: the repository has tests, but they were not run" : "- none"];
  }
  return checks.map((c) => {
    const verdict = c.exitCode === 0 ? "passed" : `failed (exit ${c.exitCode})`;
    const command = c.command.replace(/\s+/g, " ").trim().slice(0, 200).replace(/`/g, "'");
    return `- \`${command}\` — ${verdict}`;
  });
}

export function requesterText(requester: string): string {
  if (requester.startsWith("api:")) return `API token \`${requester.slice(4)}\``;
  if (requester.startsWith("github:")) return `@${requester.slice(7)} on GitHub`;
  return `Slack user \`${requester}\``;
}

export function usageText(u: PrBodyInput["usage"]): string {
  const tokens = `${u.promptTokens.toLocaleString("en-US")} prompt + ${u.completionTokens.toLocaleString("en-US")} completion tokens`;
  const cost = u.costUsd === undefined ? "" : `, about $${u.costUsd.toFixed(2)}`;
  return `${u.steps} steps, ${tokens}${cost}`;
}
