/**
 * What the job page shows, folded from the JobRoom's log (the single source of truth) the same way
 * the snapshot is: status, phase and its latest message, every step and agent message in order,
 * the PR, the error and the final usage. Nothing here is stored; it is computed per request.
 */
import type { JobEvent, JobStatus, LoggedEvent, Phase, Usage } from "../../protocol/events";
import type { JobRecord } from "../jobs/log";

type EventData<T extends JobEvent["type"]> = Extract<JobEvent, { type: T }>["data"];

/** The `tool` of the setup phase's steps (jobs/environment-step.ts): numbered apart from the agent's. */
export const SETUP_TOOL = "setup";

/** The status line once the job is over (public/job.js says the same at `done`). */
export const ENDED = "The job has ended.";

export type PageStep = EventData<"step"> & { seq: number };
export type PageMessage = EventData<"message"> & { seq: number };

export interface PageView {
  jobId: string;
  repo: string;
  /** The repository on GitHub (the deployment's GITHUB_URL). */
  repoUrl: string;
  baseBranch: string | null;
  prompt: string;
  requester: string | null;
  createdAt: string;
  eventsUrl: string;
  status: "running" | JobStatus;
  phase: Phase | "done";
  statusMessage: string;
  lastSeq: number;
  steps: PageStep[];
  messages: PageMessage[];
  pr: EventData<"pr"> | null;
  error: EventData<"error"> | null;
  usage: Usage | null;
}

/** Folds `events` (the whole log) into the page's view of `job`. */
export function foldPage(job: JobRecord, events: readonly LoggedEvent[], githubUrl: string): PageView {
  const view: PageView = {
    jobId: job.jobId,
    repo: job.repo,
    repoUrl: `${githubUrl.replace(/\/+$/, "")}/${job.repo}`,
    baseBranch: job.baseBranch,
    prompt: job.prompt,
    requester: job.requester ?? null,
    createdAt: job.createdAt,
    // Relative: the page talks to its own origin only (the CSP's connect-src 'self').
    eventsUrl: `/jobs/${job.jobId}/events`,
    status: "running",
    phase: "queued",
    statusMessage: "Job accepted",
    lastSeq: 0,
    steps: [],
    messages: [],
    pr: null,
    error: null,
    usage: null,
  };
  for (const event of events) {
    view.lastSeq = event.seq;
    if (event.type === "status") {
      view.phase = event.data.phase;
      view.statusMessage = event.data.message;
    } else if (event.type === "step") view.steps.push({ ...event.data, seq: event.seq });
    else if (event.type === "message") view.messages.push({ ...event.data, seq: event.seq });
    else if (event.type === "pr") view.pr = event.data;
    else if (event.type === "error") view.error = event.data;
    else if (event.type === "done") {
      view.status = event.data.status;
      view.phase = "done";
      view.statusMessage = ENDED;
      view.usage = event.data.usage;
    }
  }
  return view;
}
