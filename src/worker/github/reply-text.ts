/**
 * The one comment a GitHub-started follow-up answers with when it ends: who asked, what happened
 * (the new commit and the turn's summary, that nothing changed, or why it failed), a link to the
 * job, and a hidden marker naming the job, by which a retried post finds the comment already there.
 */
import type { LoggedEvent } from "../../protocol/events";
import type { GitHubReply, TurnRecord } from "../followups/types";

/** GitHub refuses comments over 65,536 characters; the summary gives way first. */
const MAX_SUMMARY_CHARS = 60_000;

/** The hidden line that marks `jobId`'s reply. */
export function replyMarker(jobId: string): string {
  return `<!-- modal-coding-agent:reply ${jobId} -->`;
}

function bounded(text: string): string {
  return text.length <= MAX_SUMMARY_CHARS ? text : `${text.slice(0, MAX_SUMMARY_CHARS)}\n\n…(cut)`;
}

/** The reply's Markdown; null before the job's `done`. `turn` is the JobRoom's view of the turn, when it has one. */
export function replyText(
  job: { jobId: string; origin: string },
  reply: GitHubReply,
  events: LoggedEvent[],
  turn: TurnRecord | null,
): string | null {
  const done = events.findLast((e) => e.type === "done");
  if (done?.type !== "done") return null;
  const pr = events.findLast((e) => e.type === "pr");
  const prData = pr?.type === "pr" ? pr.data : undefined;
  const error = events.findLast((e) => e.type === "error");
  const failure = turn?.error ?? (error?.type === "error" ? error.data : undefined);
  const headSha = turn?.headSha ?? prData?.headSha;
  const prUrl = prData?.url ?? done.data.prUrl;
  const summary = turn?.summary?.trim() || null;
  const lines: string[] = [];
  const who = `@${reply.login}`;
  if (done.data.status === "succeeded" && headSha) {
    const short = headSha.slice(0, 7);
    const commit = prUrl ? `[\`${short}\`](${prUrl}/commits/${headSha})` : `\`${short}\``;
    lines.push(`${who} Done: pushed ${commit} to this pull request.`);
    if (summary) lines.push(bounded(summary));
  } else if (done.data.status === "succeeded") {
    lines.push(`${who} Done, and nothing changed: there is no new commit.`);
    const said = events.findLast((e) => e.type === "message");
    const note = summary ?? (said?.type === "message" ? said.data.text.trim() : "");
    if (note) lines.push(bounded(note));
  } else if (done.data.status === "cancelled") {
    lines.push(`${who} This follow-up was cancelled${failure ? `: ${failure.message}` : "."}`);
  } else {
    lines.push(`${who} This follow-up failed: ${failure?.message ?? "the job ended without saying why."}`);
    if (failure?.code) lines.push(`Error code: \`${failure.code}\``);
  }
  const page = `${job.origin}/jobs/${job.jobId}`;
  lines.push(`[Job](${page}) · [events](${page}/events)\n${replyMarker(job.jobId)}`);
  return lines.join("\n\n");
}
