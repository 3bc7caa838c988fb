/**
 * Starting a job, shared by every front door (`POST /code`, Slack's `/pr`): a fresh unguessable
 * id and the JobRoom with its first events. The room starts the CodeJob Workflow itself, and a
 * job that cannot start still ends with `error` and `done`, so no watcher is left hanging.
 */
import type { FollowUpOf, GitHubReply } from "../followups/types";
import type { RepoRef } from "../github/repo";
import type { Budget } from "./budget";
import type { JobRecord, SlackTarget } from "./log";

export interface JobRequest {
  repo: RepoRef;
  baseBranch: string | null;
  prompt: string;
  /** Draft or ready PR; the deployment's default (PR_DRAFT_DEFAULT) when absent. */
  draft?: boolean;
  /** Budgets resolved against the deployment's ceilings; its defaults when absent. */
  limits?: Budget;
  /** Public origin of the Worker, for the links in events and the PR body. */
  origin: string;
  /** Who asked (a Slack user id), when known. */
  requester?: string;
  /** The tenant the front door admitted the job for (its limiter's key), for the job history. */
  tenant?: string;
  /** The Slack thread to report to, for `/pr` jobs and mentions. */
  slack?: SlackTarget;
  /** The PR a follow-up continues (followups/start.ts). */
  followUp?: FollowUpOf;
  /** Where a follow-up that GitHub started answers. */
  githubReply?: GitHubReply;
  /**
   * A caller-derived id (still unguessable) for idempotent front doors: a second start with the
   * same id finds the room taken and starts nothing. Random when absent.
   */
  jobId?: string;
}

/** The job as its room stores it, from what a front door asked. */
function jobRecord(jobId: string, request: JobRequest): JobRecord {
  return {
    jobId,
    repo: `${request.repo.owner}/${request.repo.repo}`,
    baseBranch: request.baseBranch,
    prompt: request.prompt,
    ...(request.draft === undefined ? {} : { draft: request.draft }),
    ...(request.limits ? { limits: request.limits } : {}),
    createdAt: new Date().toISOString(),
    origin: request.origin,
    ...(request.requester ? { requester: request.requester } : {}),
    ...(request.tenant ? { tenant: request.tenant } : {}),
    ...(request.slack ? { slack: request.slack } : {}),
    ...(request.followUp ? { followUp: request.followUp } : {}),
    ...(request.githubReply ? { githubReply: request.githubReply } : {}),
  };
}

/**
 * Creates the job (its JobRoom starts the Workflow); returns the id, the room's stub, and whether
 * this call created it (false: `request.jobId` was already taken).
 */
export async function startJob(env: Env, request: JobRequest) {
  const jobId = request.jobId ?? crypto.randomUUID();
  const room = env.JOB_ROOM.get(env.JOB_ROOM.idFromName(jobId));
  const created = await room.init(jobRecord(jobId, request));
  return { jobId, room, created };
}

/**
 * `startJob` for a caller that answers with the job's events: one call to the room creates the
 * job (or finds it, for a taken `request.jobId`) and opens its SSE stream from the first event.
 */
export async function startJobStream(
  env: Env,
  request: JobRequest,
): Promise<{ jobId: string; events: Response }> {
  const jobId = request.jobId ?? crypto.randomUUID();
  const events = await env.JOB_ROOM.get(env.JOB_ROOM.idFromName(jobId)).open(jobRecord(jobId, request));
  return { jobId, events };
}
