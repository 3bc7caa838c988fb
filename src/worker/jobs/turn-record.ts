/**
 * A job as one turn of its PR's conversation, derived from what its JobRoom already holds — the
 * log, the agent's saved state and the stored diff — so nothing about a turn is stored twice.
 * The PR body, the next turn's prompt and the GitHub reply render it; the PullRoom needs only
 * whether it waits, runs or ended, and which PR it belongs to.
 */
import type { LoggedEvent } from "../../protocol/events";
import type { TurnRecord } from "../followups/types";
import { readDiff } from "./diff-store";
import { firstOf, getValue, hasEnded, type JobRecord, readEvents } from "./log";
import { type JobSetup, loadAgentState } from "./progress";

const MAX_FILES = 50;

/** Where a job stands in its conversation: not started yet (a queued follow-up), running, or over. */
export type TurnState = "queued" | "running" | "ended";

export function turnState(sql: SqlStorage): TurnState {
  if (hasEnded(sql)) return "ended";
  return getValue<number>(sql, "attempt") === null ? "queued" : "running";
}

/** The PR the job opened or continues, and the commit the PR's first turn started from. */
export function pullOf(
  sql: SqlStorage,
  job: JobRecord,
): { repo: string; number: number; baseSha: string } | null {
  if (job.followUp) return { repo: job.repo, number: job.followUp.pr.number, baseSha: job.followUp.baseSha };
  // On the room's read paths (snapshot, page, the end of the job): one row, not the whole log.
  const pr = firstOf(sql, "pr");
  const setup = getValue<JobSetup>(sql, "setup");
  if (!pr || !setup) return null;
  return { repo: job.repo, number: pr.data.number, baseSha: setup.headSha };
}

/** The job's turn: what was asked, by whom, what the agent said and changed, and how it ended. */
export function turnRecord(sql: SqlStorage, job: JobRecord): TurnRecord {
  const events = readEvents(sql, 0);
  const agent = loadAgentState(sql);
  const done = last(events, "done");
  const pr = last(events, "pr");
  const error = last(events, "error");
  const usage = done?.data.usage ?? agent?.record.usage ?? { steps: 0, promptTokens: 0, completionTokens: 0 };
  return {
    jobId: job.jobId,
    pageUrl: `${job.origin}/jobs/${job.jobId}`,
    prompt: job.prompt,
    ...(job.requester ? { requester: job.requester } : {}),
    status: done?.data.status ?? "running",
    summary: agent ? finishSummary(agent.messages) : null,
    files: changedFiles(readDiff(sql)),
    checks: agent?.record.checks ?? [],
    usage: {
      steps: usage.steps,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      ...("costUsd" in usage && typeof usage.costUsd === "number" ? { costUsd: usage.costUsd } : {}),
    },
    ...(pr?.data.headSha ? { headSha: pr.data.headSha } : {}),
    ...(error ? { error: error.data } : {}),
  };
}

function last<T extends LoggedEvent["type"]>(events: LoggedEvent[], type: T) {
  return events.findLast((e): e is Extract<LoggedEvent, { type: T }> => e.type === type);
}

/** The summary of the run's `finish` call (its arguments, as the model sent them), else null. */
function finishSummary(messages: { role: string }[]): string | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as {
      role: string;
      tool_calls?: { function?: { name: string; arguments: string } }[];
    };
    const call =
      m.role === "assistant" ? m.tool_calls?.find((c) => c.function?.name === "finish") : undefined;
    if (!call?.function) continue;
    try {
      const args = JSON.parse(call.function.arguments) as { summary?: unknown };
      if (typeof args.summary === "string") return args.summary;
    } catch {
      // A malformed finish was refused by the dispatcher; an earlier one may still be valid.
    }
  }
  return null;
}

/** The paths a unified diff changes (the `diff --git a/… b/…` headers), at most MAX_FILES. */
function changedFiles(diff: string | null): string[] {
  if (!diff) return [];
  const files: string[] = [];
  for (const match of diff.matchAll(/^diff --git a\/.+? b\/(.+)$/gm)) {
    if (match[1] && files.length < MAX_FILES) files.push(match[1]);
  }
  return files;
}
