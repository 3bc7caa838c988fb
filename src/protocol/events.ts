/**
 * The job event log's vocabulary: what SSE clients, the Slack thread and `GET /jobs/:id` render.
 * Types only (shared by the Worker and tests). DESIGN.md "Events" is the contract; `job` is
 * always first and `done` always last.
 */

/** `setting-up`: the repository's environment is set up (devcontainer.json or SETUP_COMMAND), with network. */
export type Phase = "queued" | "provisioning" | "cloning" | "setting-up" | "working" | "publishing";

export interface Usage {
  steps: number;
  promptTokens: number;
  completionTokens: number;
  durationMs: number;
  /** Estimated model cost in USD, from the deployment's price table; absent for unpriced models. */
  costUsd?: number;
}

export type JobEvent =
  | {
      type: "job";
      data: {
        jobId: string;
        repo: string;
        baseBranch: string | null;
        prompt: string;
        /** A follow-up's: the job it runs after, and the number of the PR it continues. */
        followUpOf?: string;
        pr?: number;
        statusUrl: string;
        eventsUrl: string;
      };
    }
  | { type: "status"; data: { phase: Phase; message: string } }
  | {
      type: "step";
      data: { n: number; tool: string; input: string; output: string; exitCode?: number; durationMs: number };
    }
  | { type: "message"; data: { text: string } }
  | {
      type: "pr";
      data: {
        url: string;
        number: number;
        branch: string;
        title: string;
        draft: boolean;
        filesChanged: number;
        additions: number;
        deletions: number;
        /** The PR head after this job's commit. */
        headSha?: string;
        /** A follow-up's: it updated an existing PR (same url and number). */
        updated?: true;
      };
    }
  | { type: "error"; data: { code: string; message: string } }
  | { type: "done"; data: { status: JobStatus; prUrl?: string; usage: Usage } };

export type JobEventType = JobEvent["type"];
export type JobStatus = "succeeded" | "failed" | "cancelled";

/** An event as stored in the log: `seq` is the SSE `id:`. */
export type LoggedEvent = JobEvent & { seq: number; at: string };

/** `GET /jobs/:id`. */
export interface JobSnapshot {
  jobId: string;
  repo: string;
  baseBranch: string | null;
  prompt: string;
  status: "running" | JobStatus;
  phase: Phase | "done";
  createdAt: string;
  updatedAt: string;
  lastSeq: number;
  /** The job this one follows up (the PR's previous turn), or null. */
  followUpOf: string | null;
  /** The later turns of the same PR's conversation, in order. */
  followUps: string[];
  pr: Extract<JobEvent, { type: "pr" }>["data"] | null;
  error: Extract<JobEvent, { type: "error" }>["data"] | null;
  usage: Usage | null;
}
