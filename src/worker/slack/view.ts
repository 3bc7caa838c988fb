/**
 * A job as the Slack thread shows it, folded from the JobRoom's event log (the single source of
 * truth): status, latest status line, step count, the last step, PR, error and usage. The parent
 * message is always rendered from the whole log, so coalescing steps loses nothing.
 */
import type { JobEvent, JobStatus, LoggedEvent, Phase, Usage } from "../../protocol/events";
import type { JobRecord } from "../jobs/log";

type EventData<T extends JobEvent["type"]> = Extract<JobEvent, { type: T }>["data"];

export interface ThreadView {
  jobId: string;
  repo: string;
  baseBranch: string | null;
  prompt: string;
  requester: string | null;
  createdAt: string;
  /** The job's live page (`GET /jobs/:id` in a browser). */
  pageUrl: string;
  /** A follow-up's place in its PR's conversation and the PR it continues; null for a first turn. */
  followUp: { turn: number; url: string; number: number; title: string } | null;
  status: "running" | JobStatus;
  phase: Phase | "done";
  /** The latest `status` message ("Cloning acme/api"). */
  statusMessage: string;
  steps: number;
  lastStep: EventData<"step"> | null;
  pr: EventData<"pr"> | null;
  error: EventData<"error"> | null;
  usage: Usage | null;
}

/** Folds the log into what the thread shows. */
export function foldView(job: JobRecord, events: readonly LoggedEvent[]): ThreadView {
  const view: ThreadView = {
    jobId: job.jobId,
    repo: job.repo,
    baseBranch: job.baseBranch,
    prompt: job.prompt,
    requester: job.requester ?? null,
    createdAt: job.createdAt,
    pageUrl: `${job.origin}/jobs/${job.jobId}`,
    followUp: job.followUp
      ? {
          turn: job.followUp.turn,
          url: job.followUp.pr.url,
          number: job.followUp.pr.number,
          title: job.followUp.pr.title,
        }
      : null,
    status: "running",
    phase: "queued",
    statusMessage: "Job accepted",
    steps: 0,
    lastStep: null,
    pr: null,
    error: null,
    usage: null,
  };
  for (const event of events) {
    if (event.type === "job") view.baseBranch = event.data.baseBranch;
    else if (event.type === "status") {
      view.phase = event.data.phase;
      view.statusMessage = event.data.message;
    } else if (event.type === "step") {
      // The setup phase's commands are numbered apart; the count is the agent's steps.
      if (event.data.tool !== "setup") view.steps = Math.max(view.steps, event.data.n);
      view.lastStep = event.data;
    } else if (event.type === "pr") view.pr = event.data;
    else if (event.type === "error") view.error = event.data;
    else if (event.type === "done") {
      view.status = event.data.status;
      view.phase = "done";
      view.usage = event.data.usage;
    }
  }
  return view;
}
