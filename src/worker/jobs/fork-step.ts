/**
 * Repositories the token cannot push to: the job forks it to the token's account, waits for the
 * fork to be ready (GitHub forks asynchronously; the step is retried with backoff until it is),
 * fast-forwards a stale fork's base branch to upstream, and publishes its branch there.
 */
import type { WorkflowStep } from "cloudflare:workers";
import type { Deps } from "../deps";
import { JobError } from "../errors";
import { gitHubFor } from "../github/client";
import type { RepoRef } from "../github/repo";
import { durableStep } from "./durable";

/** The fork to write the branch to, ready and synced with `baseBranch`. */
export async function forkForJob(
  step: WorkflowStep,
  deps: Deps,
  repo: RepoRef,
  baseBranch: string,
): Promise<RepoRef> {
  const fork = await durableStep(step, "fork", "github", async () => {
    const { data } = await (await gitHubFor(deps.github, repo)).rest.repos.createFork({
      owner: repo.owner,
      repo: repo.repo,
    });
    return { owner: data.owner.login, repo: data.name };
  });
  await durableStep(step, "fork ready", "github", async () => {
    try {
      await (await gitHubFor(deps.github, fork)).rest.repos.get({ owner: fork.owner, repo: fork.repo });
      return { ready: true };
    } catch (error) {
      // A plain error, not GitHub's 404: the step is retried with backoff until the fork exists.
      if (statusOf(error) === 404) throw new Error(`the fork ${fork.owner}/${fork.repo} is not ready yet`);
      throw error;
    }
  });
  await durableStep(step, "sync fork", "github", async () => {
    try {
      const { data } = await (await gitHubFor(deps.github, fork)).rest.repos.mergeUpstream({
        owner: fork.owner,
        repo: fork.repo,
        branch: baseBranch,
      });
      return { mergeType: data.merge_type ?? "none" };
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
      throw new JobError(
        "fork_diverged",
        `The fork ${fork.owner}/${fork.repo} has commits on ${baseBranch} that ${repo.owner}/${repo.repo} lacks, so it cannot be synced.`,
      );
    }
  });
  return fork;
}

function statusOf(error: unknown): number | undefined {
  return typeof error === "object" && error !== null && "status" in error && typeof error.status === "number"
    ? error.status
    : undefined;
}
