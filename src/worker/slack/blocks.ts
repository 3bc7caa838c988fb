/**
 * The thread's parent message, rendered from a ThreadView: repo, prompt, requester, status,
 * elapsed time, step count, a link to the live events and — while the job runs — a Cancel button.
 * Once the job is over the button is gone and the outcome (PR link or reason) takes its place.
 * Whatever the prompt or the error holds, every piece is cut to fit Slack's Block Kit limits.
 */
import type { types } from "@slack/bolt";
import { clip, codeSpan, escapeClip, formatDuration, SECTION_TEXT_MAX, stepSummary } from "./format";
import type { ThreadView } from "./view";

/** The Cancel button's `action_id`; its `value` is the job id. */
export const CANCEL_ACTION = "cancel_job";

export interface SlackMessage {
  text: string;
  blocks: types.KnownBlock[];
}

/** How much of the prompt the parent quotes (before escaping). */
const PROMPT_CHARS = 600;
/** A failure's reason or the status line, escaped: long enough to read, well inside a section. */
const REASON_CHARS = 1_500;
const TITLE_CHARS = 300;
const FALLBACK_CHARS = 1_000;

const PHASE_ICON: Record<ThreadView["phase"], string> = {
  queued: ":hourglass_flowing_sand:",
  provisioning: ":package:",
  cloning: ":inbox_tray:",
  "setting-up": ":gear:",
  working: ":hammer_and_wrench:",
  publishing: ":rocket:",
  done: ":checkered_flag:",
};

/** The parent message as of `now` (elapsed time is counted to `now` while running). */
export function parentMessage(view: ThreadView, githubUrl: string, now: number): SlackMessage {
  const repoUrl = `${githubUrl.replace(/\/+$/, "")}/${view.repo}`;
  const base = view.baseBranch ? ` → ${codeSpan(view.baseBranch, 80)}` : "";
  const title = `*<${repoUrl}|${escapeClip(view.repo, 200)}>*${base}\n>`;
  const header = title + escapeClip(clip(view.prompt, PROMPT_CHARS), SECTION_TEXT_MAX - title.length, true);
  const elapsed = view.usage ? view.usage.durationMs : now - Date.parse(view.createdAt);
  const steps = `${view.steps} step${view.steps === 1 ? "" : "s"}`;
  const context = [
    ...(view.followUp ? [`Turn ${view.followUp.turn}`] : []),
    ...(view.requester ? [`Requested by <@${view.requester}>`] : []),
    steps,
    formatDuration(elapsed),
    `<${view.pageUrl}|Live page>`,
  ].join(" · ");
  const blocks: types.KnownBlock[] = [
    section(header),
    section(statusLine(view)),
    { type: "context", elements: [{ type: "mrkdwn", text: context }] },
  ];
  if (view.status === "running") {
    blocks.push({
      type: "actions",
      block_id: "job_actions",
      elements: [
        {
          type: "button",
          action_id: CANCEL_ACTION,
          value: view.jobId,
          style: "danger",
          text: { type: "plain_text", text: "Cancel" },
          confirm: {
            title: { type: "plain_text", text: "Cancel this job?" },
            text: {
              type: "mrkdwn",
              text: view.followUp
                ? "The agent stops and the pull request is left as it is."
                : "The agent stops and no pull request is opened.",
            },
            confirm: { type: "plain_text", text: "Cancel job" },
            deny: { type: "plain_text", text: "Keep going" },
          },
        },
      ],
    });
  }
  // The notification text: mrkdwn too, so escaped, and short (it is only a fallback for blocks).
  return { text: escapeClip(`${view.repo}: ${plainStatus(view)}`, FALLBACK_CHARS), blocks };
}

/** A mrkdwn section; the cut is a last guard, the parts above are sized to fit already. */
function section(text: string): types.KnownBlock {
  return { type: "section", text: { type: "mrkdwn", text: clip(text, SECTION_TEXT_MAX) } };
}

function statusLine(view: ThreadView): string {
  if (view.status === "succeeded" && view.pr) {
    const what = view.pr.updated ? "updated" : "opened";
    return `:white_check_mark: Pull request ${what}: <${view.pr.url}|#${view.pr.number} ${escapeClip(view.pr.title, TITLE_CHARS)}>`;
  }
  if (view.status === "succeeded" && view.followUp) {
    const pr = view.followUp;
    return `:white_check_mark: Nothing to change: <${pr.url}|#${pr.number} ${escapeClip(pr.title, TITLE_CHARS)}> stays as it was`;
  }
  if (view.status === "succeeded") return ":white_check_mark: Done";
  if (view.status === "failed")
    return `:x: Failed: ${escapeClip(view.error?.message ?? "no reason recorded", REASON_CHARS)}`;
  if (view.status === "cancelled")
    return `:no_entry_sign: ${escapeClip(view.error?.message ?? "Cancelled", REASON_CHARS)}`;
  const last = view.lastStep ? `\nLast step: ${codeSpan(stepSummary(view.lastStep.input))}` : "";
  return `${PHASE_ICON[view.phase]} ${escapeClip(view.statusMessage, REASON_CHARS)}${last}`;
}

function plainStatus(view: ThreadView): string {
  if (view.status === "running") return view.statusMessage;
  if (view.status === "succeeded" && view.pr) {
    return `pull request ${view.pr.updated ? "updated" : "opened"}: ${view.pr.url}`;
  }
  if (view.status === "succeeded") return view.followUp ? `nothing to change: ${view.followUp.url}` : "done";
  return view.status === "failed" ? `failed: ${view.error?.message ?? ""}` : "cancelled";
}
