/**
 * The body of a pull request that follow-ups continued, regenerated from every turn: the latest
 * summary first (what a reviewer reads now), the totals, then one section per turn, oldest first
 * so the conversation reads in the order it happened, as the PR's commits do. Each section has
 * the request quoted with who asked, its status, what changed, the checks that really ran, usage
 * and cost, the commit, and the links to the job's page and its events. GitHub refuses a body over
 * 65,536 characters: past that, the oldest turns collapse into a shortened `<details>` first, then
 * into one line each, then are left out, and a marker says how many turns are shortened.
 */
import type { CheckRun } from "../agent/checks";
import type { TurnRecord } from "../followups/types";
import {
  checksText,
  type PrBodyInput,
  pullRequestBody,
  quote,
  refusedText,
  requesterText,
  usageText,
} from "./pr-body";

/** GitHub's cap on a pull request's body. */
export const MAX_BODY_CHARS = 65_536;
/** What the turns are fitted into, leaving room under the cap for the markers. */
const PLAN_CHARS = MAX_BODY_CHARS - 1_000;
/** A request in an open section is quoted whole up to this; the job page always has all of it. */
const REQUEST_CHARS = 8_000;
const CHECK_LINES = 30;
const FILE_LINES = 50;

/** The turn being published: what `pullRequestBody` gets, and its commit once it has one. */
export interface CurrentTurn extends PrBodyInput {
  headSha?: string;
}

/** How much of an earlier turn the body shows; the oldest go down these first. */
type Level = "open" | "short" | "line" | "left out";

/** The body from every turn: `earlier` oldest first, then `current`. One turn is today's body. */
export function pullRequestBodyOfTurns(earlier: TurnRecord[], current: CurrentTurn): string {
  if (earlier.length === 0) return capped(pullRequestBody(current));
  const count = earlier.length + 1;
  const head = headText(earlier, current);
  const last = currentSection(current, count);
  const tail = `Opened by Modal Coding Agent, updated by turn ${count} · [job page](${current.pageUrl})`;
  const levels: Level[] = earlier.map(() => "open");
  const cache = new Map<string, string>();
  const sectionOf = (i: number): string => {
    const level = levels[i] as Level;
    if (level === "left out") return "";
    const key = `${i} ${level}`;
    let text = cache.get(key);
    if (text === undefined) {
      text = earlierSection(earlier[i] as TurnRecord, i + 1, level);
      cache.set(key, text);
    }
    return text;
  };
  // Sections are rendered once per level and their lengths summed (400 is the markers' room), so
  // fitting a long conversation never renders the whole body again and again.
  const size = () =>
    head.length +
    last.length +
    tail.length +
    400 +
    levels.reduce((n, _l, i) => n + sectionOf(i).length + 2, 0);
  for (const level of ["short", "line", "left out"] as const) {
    for (let i = 0; i < earlier.length && size() > PLAN_CHARS; i++) levels[i] = level;
  }
  const shortened = levels.filter((l) => l !== "open").length;
  const omitted = levels.filter((l) => l === "left out").length;
  const parts = [head];
  if (shortened > 0) {
    const turns = shortened === 1 ? "1 earlier turn is" : `${shortened} earlier turns are`;
    parts.push(
      `_${turns} shortened here to fit GitHub's limit on a description; each turn's job page has all of it._`,
    );
  }
  if (omitted > 0) {
    const which = omitted === 1 ? "Turn 1 is" : `Turns 1 to ${omitted} are`;
    parts.push(`_${which} left out here._`);
  }
  parts.push(...earlier.flatMap((_t, i) => (levels[i] === "left out" ? [] : [sectionOf(i)])), last, tail);
  return capped(parts.join("\n\n"));
}

function headText(earlier: TurnRecord[], current: CurrentTurn): string {
  const warning = current.unfinished
    ? `> [!WARNING]\n> **Unfinished.** ${current.unfinished} This draft holds the changes made so far; review them with care.\n\n`
    : "";
  const all = [...earlier.map((t) => t.usage), current.usage];
  const total = {
    steps: sum(all.map((u) => u.steps)),
    promptTokens: sum(all.map((u) => u.promptTokens)),
    completionTokens: sum(all.map((u) => u.completionTokens)),
  };
  const costs = all.flatMap((u) => (u.costUsd === undefined ? [] : [u.costUsd]));
  const priced =
    costs.length === 0
      ? ""
      : costs.length === all.length
        ? `, about $${sum(costs).toFixed(2)}`
        : `, about $${sum(costs).toFixed(2)} for the ${costs.length} turns priced`;
  const totals = `${usageText(total)}${priced}`;
  return [
    // The agent's own Markdown, as a single turn's body has it: nothing of ours encloses it.
    `${warning}${current.summary.trim()}`,
    "",
    "---",
    `**${all.length} turns** so far in this pull request's conversation, oldest first. In total: ${totals}.`,
  ].join("\n");
}

function currentSection(c: CurrentTurn, n: number): string {
  const files = c.changes.slice(0, FILE_LINES).map((f) => `- ${code(f.path)} (${f.status})`);
  if (c.changes.length > FILE_LINES) files.push(`- … and ${c.changes.length - FILE_LINES} more`);
  return [
    `### Turn ${n} (latest) · ${c.unfinished ? "unfinished" : "finished"}`,
    requestLine(c.requester, c.pageUrl),
    "",
    quote(inert(cut(c.prompt, REQUEST_CHARS))),
    "",
    ...(c.unfinished ? [`**Unfinished:** ${c.unfinished}`, ""] : []),
    "**What changed:** the summary at the top.",
    "",
    "**Checks run by the agent**",
    "",
    ...bounded(checksText(c.checks, c.hasTests)),
    "",
    `<details><summary>Files changed (${c.changes.length})</summary>`,
    "",
    ...files,
    "",
    "</details>",
    "",
    ...refusedText(c.refused ?? []),
    ...(c.headSha ? [`Commit ${c.headSha}`, ""] : []),
    `Usage: ${usageText(c.usage)}`,
  ].join("\n");
}

function earlierSection(t: TurnRecord, n: number, level: Exclude<Level, "left out">): string {
  const status = statusText(t);
  if (level === "line") {
    const usage = t.usage.costUsd === undefined ? "" : ` · about $${t.usage.costUsd.toFixed(2)}`;
    const who = t.requester ? ` · from ${requesterText(t.requester)}` : "";
    return `- **Turn ${n}** · ${status}${who} · ${links(t.pageUrl)} · ${t.usage.steps} steps${usage}`;
  }
  const short = level === "short";
  const why = t.status === "failed" ? "Why it failed" : "Why it stopped";
  const outcome = t.error
    ? [`**${why}:** ${code(t.error.code)} — ${inert(cut(t.error.message, 500))}`, ""]
    : [];
  const summary =
    t.summary === null
      ? ["**What changed:** no summary: the agent did not finish this turn."]
      : ["**What changed**", "", inert(cut(t.summary, short ? 600 : 20_000))];
  const fileCap = short ? 5 : FILE_LINES;
  const files = t.files.slice(0, fileCap).map((p) => `- ${code(p)}`);
  if (t.files.length > fileCap) files.push(`- … and ${t.files.length - fileCap} more`);
  const body = [
    requestLine(t.requester, t.pageUrl),
    "",
    quote(inert(cut(t.prompt, short ? 300 : REQUEST_CHARS))),
    "",
    ...outcome,
    ...summary,
    "",
    "**Checks run by the agent**",
    "",
    ...bounded(checksOf(t.checks), short ? 5 : CHECK_LINES),
    "",
    `**Files changed (${t.files.length})**${files.length === 0 ? ": none" : ""}`,
    ...(files.length === 0 ? [] : ["", ...files]),
    "",
    ...(t.headSha ? [`Commit ${t.headSha}`, ""] : []),
    `Usage: ${usageText(t.usage)}`,
  ];
  if (!short) return [`### Turn ${n} · ${status}`, ...body].join("\n");
  const first = t.prompt.trim().split("\n")[0] ?? "";
  const title = escapeHtml(first.length > 80 ? `${first.slice(0, 80)}…` : first);
  return [`<details><summary>Turn ${n} · ${status} · ${title}</summary>`, "", ...body, "", "</details>"].join(
    "\n",
  );
}

function statusText(t: TurnRecord): string {
  switch (t.status) {
    case "succeeded":
      if (t.summary === null) return "unfinished";
      return t.files.length === 0 && !t.headSha ? "finished, nothing changed" : "finished";
    case "failed":
      return t.headSha ? "failed after its commit" : "failed, no commit";
    case "cancelled":
      return t.headSha ? "cancelled after its commit" : "cancelled, no commit";
    case "running":
      return "still running";
  }
}

function requestLine(requester: string | undefined, pageUrl: string): string {
  return `**Request**${requester ? ` from ${requesterText(requester)}` : ""} · ${links(pageUrl)}`;
}

function links(pageUrl: string): string {
  return `[job page](${pageUrl}) · [events](${pageUrl}/events)`;
}

function checksOf(checks: CheckRun[]): string[] {
  return checksText(checks, false);
}

function bounded(lines: string[], max = CHECK_LINES): string[] {
  return lines.length <= max ? lines : [...lines.slice(0, max), `- … and ${lines.length - max} more`];
}

/** A last resort for a single turn too long for GitHub (its own summary and request at their caps). */
function capped(body: string): string {
  if (body.length <= MAX_BODY_CHARS) return body;
  const marker = "\n\n_[… cut to fit GitHub's limit on a description: the job page has all of it]_";
  let end = MAX_BODY_CHARS - marker.length;
  // Never split a surrogate pair.
  if (/[\uD800-\uDBFF]/.test(body.charAt(end - 1))) end -= 1;
  return `${body.slice(0, end)}${marker}`;
}

function cut(text: string, max: number): string {
  const trimmed = text.trim();
  if (trimmed.length <= max) return trimmed;
  const left = (trimmed.length - max).toLocaleString("en-US");
  return `${trimmed.slice(0, max)}… [${left} more characters on the job page]`;
}

/** Keeps quoted text from closing or opening the body's own `<details>` blocks. */
function inert(text: string): string {
  return text.replace(/<(\/?)(details|summary)\b/gi, "&lt;$1$2");
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
