/**
 * Follow-ups: a pull request is a conversation, each turn a job. The types every part shares —
 * the front doors (API, Slack mention, GitHub webhook), the PullRoom that runs a PR's turns one
 * at a time, the CodeJob that continues the branch, and what renders a turn (the PR body, the
 * agent's prompt, the GitHub reply). A turn's facts live in its own JobRoom; these are views of them.
 */
import type { JobStatus } from "../../protocol/events";
import type { CheckRun } from "../agent/checks";

/** What a follow-up job knows of the PR it continues, fixed when it is accepted. */
export interface FollowUpOf {
  /** The job it runs after: the PR's latest turn when the follow-up was asked. */
  of: string;
  /** This turn's place in the PR's conversation: 2 for the first follow-up. */
  turn: number;
  pr: {
    number: number;
    url: string;
    /** The PR's head branch (the first turn's `agent/…` branch). */
    branch: string;
    /** `owner/name` the branch lives in: the job's repo, or the token's fork of it. */
    headRepo: string;
    /** The branch the PR merges into. */
    baseBranch: string;
    title: string;
  };
  /** The commit the PR's first turn started from: the diff from it is the PR's diff. */
  baseSha: string;
}

/** Where a follow-up that GitHub started answers when it ends (one comment on the PR). */
export interface GitHubReply {
  /** The PR's number on the job's repo. */
  number: number;
  /** The comment (issue_comment) or review (pull_request_review) that asked. */
  source: { kind: "issue_comment"; commentId: number } | { kind: "review"; reviewId: number };
  /** Who asked (a GitHub login), for the reply's mention. */
  login: string;
}

/** One turn of a PR's conversation, read from its JobRoom (the PR body and the prompt render it). */
export interface TurnRecord {
  jobId: string;
  /** The job's page, `GET /jobs/:id` (its events are at `…/events`). */
  pageUrl: string;
  prompt: string;
  /** Who asked: a Slack user id, `api:<token name>`, or `github:<login>`. */
  requester?: string;
  status: JobStatus | "running";
  /** The agent's own summary (`finish`'s); null when it did not finish. */
  summary: string | null;
  /** Paths the turn changed (from its diff), at most 50. */
  files: string[];
  checks: CheckRun[];
  usage: { steps: number; promptTokens: number; completionTokens: number; costUsd?: number };
  /** The PR head after the turn, when it pushed a commit. */
  headSha?: string;
  /** Why the turn failed, when it did. */
  error?: { code: string; message: string };
}

/** What a follow-up's agent is told of the conversation so far (bounded: prompts.ts). */
export interface FollowUpHistory {
  /** Earlier turns, oldest first. */
  turns: TurnRecord[];
  /** The PR's current diff from `FollowUpOf.baseSha` (bounded by the sandbox service). */
  diff: string;
  /** The PR's title now. */
  title: string;
}
