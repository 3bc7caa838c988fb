/**
 * Starting a follow-up, shared by its front doors (`POST /jobs/:id/followups`, a Slack mention
 * in a job's thread, a GitHub comment or review): find the PR's conversation from any of its
 * jobs, refuse when there is no PR to continue (or it is closed or merged), then start the new
 * job, which its PullRoom runs after the PR's running turn.
 */
import type { Budget } from "../jobs/budget";
import type { SlackTarget } from "../jobs/log";
import type { GitHubReply } from "./types";

/** What the front door asks for; admission (limits) is the front door's, between resolve and start. */
export interface FollowUpRequest {
  prompt: string;
  /** The Worker's public origin, for the job's links. */
  origin: string;
  /** Who asked: a Slack user id, `api:<token name>`, or `github:<login>`. */
  requester: string;
  /** The tenant the front door admitted the follow-up for. */
  tenant: string;
  limits?: Budget;
  /** Report to this Slack thread (`threadTs` set: the existing thread of the PR). */
  slack?: SlackTarget;
  /** Answer on the PR when the follow-up ends. */
  github?: GitHubReply;
  /** A caller-derived id (Slack's event_id, GitHub's delivery id), so a redelivery starts nothing. */
  jobId?: string;
}

/** The conversation a follow-up joins: the job it runs after and its PR. */
export interface FollowUpTarget {
  /** The PR's latest turn (the follow-up's `followUpOf`). */
  latestJobId: string;
  repo: string;
  number: number;
}

export type Resolved =
  | { kind: "found"; target: FollowUpTarget }
  /** No such job, or (with `tenant`) another tenant's: the API answers 404 for both. */
  | { kind: "not_found" }
  /** 409: the job opened no PR, or the PR is closed or merged; `detail` says which. */
  | { kind: "conflict"; detail: string };

/**
 * The conversation to follow up: from one of its jobs (with `tenant`: only that tenant's job is
 * found), or from the PR itself (a webhook: only a PR this deployment opened is found).
 */
export async function resolveFollowUp(
  _env: Env,
  _by: { jobId: string; tenant?: string } | { repo: string; number: number },
): Promise<Resolved> {
  throw new Error("resolveFollowUp: lands with the follow-up core");
}

/** Starts the follow-up job; `created` is false when `request.jobId` was already taken (a redelivery). */
export async function startFollowUp(
  _env: Env,
  _target: FollowUpTarget,
  _request: FollowUpRequest,
): Promise<{ jobId: string; created: boolean }> {
  throw new Error("startFollowUp: lands with the follow-up core");
}
