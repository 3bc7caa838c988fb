/**
 * Starting a follow-up, shared by its front doors (`POST /jobs/:id/followups`, a Slack mention
 * in a job's thread, a GitHub comment or review): find the PR's conversation from any of its
 * jobs, refuse when there is no PR to continue (or it is closed or merged), then start the new
 * job, which its PullRoom runs after the PR's running turn.
 */
import { deps } from "../deps";
import { JobError } from "../errors";
import { gitHubFor } from "../github/client";
import { closedError, pullState } from "../github/pull-state";
import type { Budget } from "../jobs/budget";
import type { SlackTarget } from "../jobs/log";
import { startJob } from "../jobs/start";
import { threadOfJob } from "../slack/projection";
import { pullRoom } from "./pull-room";
import type { FollowUpOf, GitHubReply } from "./types";

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

/** The conversation a follow-up joins: its repository, and what the new job records of its PR. */
export interface FollowUpTarget {
  repo: string;
  /** Read from GitHub and the PR's rooms just now; `of` is the PR's latest turn. */
  followUp: FollowUpOf;
}

export type Resolved =
  | { kind: "found"; target: FollowUpTarget }
  /** No such job, or (with `tenant`) another tenant's: the API answers 404 for both. */
  | { kind: "not_found" }
  /** 409: the job opened no PR, or the PR is closed or merged; `detail` says which. */
  | { kind: "conflict"; detail: string };

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * The conversation to follow up: from one of its jobs (with `tenant`: only that tenant's job is
 * found), or from the PR itself (a webhook: only a PR this deployment opened is found). The PR
 * must still be open: GitHub is asked, since a human may have closed or merged it since.
 */
export async function resolveFollowUp(
  env: Env,
  by: { jobId: string; tenant?: string } | { repo: string; number: number },
): Promise<Resolved> {
  let repo: string;
  let number: number;
  if ("jobId" in by) {
    if (!JOB_ID.test(by.jobId)) return { kind: "not_found" };
    const room = env.JOB_ROOM.get(env.JOB_ROOM.idFromName(by.jobId));
    const job = await room.job();
    if (!job || (by.tenant !== undefined && job.tenant !== by.tenant)) return { kind: "not_found" };
    const pull = await room.pull();
    if (!pull) {
      const snap = await room.snapshot();
      const why =
        snap?.status === "running"
          ? "has not opened a pull request yet; follow it up once it has"
          : "opened no pull request, so there is nothing to follow up";
      return { kind: "conflict", detail: `Job ${by.jobId} ${why}.` };
    }
    ({ repo, number } = pull);
  } else {
    ({ repo, number } = by);
  }
  const conversation = pullRoom(env, repo, number);
  const turns = await conversation.turns();
  const latestJobId = turns.at(-1);
  const first = turns[0];
  if (!latestJobId || !first) return { kind: "not_found" };
  const base = await env.JOB_ROOM.get(env.JOB_ROOM.idFromName(first)).pull();
  if (!base) return { kind: "not_found" };
  const [owner = "", name = ""] = repo.split("/");
  const where = { owner, repo: name };
  const pr = await pullState(await gitHubFor(deps(env).github, where), where, number).catch(
    (error: unknown) => {
      // A PR GitHub no longer shows (deleted with its repository, say) has nothing to continue.
      if (error instanceof JobError) return null;
      throw error;
    },
  );
  if (!pr)
    return {
      kind: "conflict",
      detail: `Pull request #${number} on ${repo} cannot be found on GitHub any more.`,
    };
  if (!pr.open) return { kind: "conflict", detail: closedError(where, number, pr.merged).message };
  const followUp: FollowUpOf = {
    of: latestJobId,
    turn: turns.length + 1,
    pr: {
      number,
      url: pr.url,
      branch: pr.headRef,
      headRepo: pr.headRepo ?? repo,
      baseBranch: pr.baseRef,
      title: pr.title,
    },
    baseSha: base.baseSha,
  };
  return { kind: "found", target: { repo, followUp } };
}

/** Starts the follow-up job; `created` is false when `request.jobId` was already taken (a redelivery). */
export async function startFollowUp(
  env: Env,
  target: FollowUpTarget,
  request: FollowUpRequest,
): Promise<{ jobId: string; created: boolean }> {
  const [owner = "", repo = ""] = target.repo.split("/");
  // A turn asked elsewhere (a PR comment) still reports in the conversation's Slack thread.
  const slack = request.slack ?? (await threadOfJob(env, target.followUp.of));
  const { jobId, created } = await startJob(env, {
    repo: { owner, repo },
    baseBranch: target.followUp.pr.baseBranch,
    prompt: request.prompt,
    origin: request.origin,
    requester: request.requester,
    tenant: request.tenant,
    followUp: target.followUp,
    ...(request.jobId ? { jobId: request.jobId } : {}),
    ...(request.limits ? { limits: request.limits } : {}),
    ...(slack ? { slack } : {}),
    ...(request.github ? { githubReply: request.github } : {}),
  });
  return { jobId, created };
}
