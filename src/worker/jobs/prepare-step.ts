/**
 * The job's `prepare` step: what GitHub says about the repository (its default branch, push
 * access, visibility, size) and the environment plan read from the branch that will be cloned.
 * The plan's reads (branch, then its root tree) need the branch's name; when the job names it,
 * they run beside the repository's read instead of after it. The default branch is not remembered
 * between jobs: that would be mutable state shared by an isolate's requests (house style), and a
 * renamed default branch would make it a guess to check.
 */

import type { EnvironmentPlan } from "../environment/plan";
import { planFor } from "../environment/plan-step";
import type { GitHubClient } from "../github/client";
import type { RepoRef } from "../github/repo";
import { notFound } from "./clone-step";

/**
 * Repositories up to this size (GitHub's `size`, KiB) are cloned whole: their history's blobs
 * cost less than the second fetch a partial clone's checkout makes; larger ones stay partial.
 */
export const FULL_CLONE_MAX_KIB = 20 * 1024;

export interface Prepared {
  baseBranch: string;
  canPush: boolean;
  private: boolean;
  small: boolean;
  environment: EnvironmentPlan | null;
}

/** What the step reads of the job (a JobRecord). */
export interface PrepareJob {
  /** `owner/name`, as the job names it. */
  repo: string;
  /** The branch the job asked for; null for the repository's default. */
  baseBranch: string | null;
  /** A follow-up's PR, whose branch (in its head repository) is the one cloned. */
  followUp?: { pr: { headRepo: string; branch: string } };
}

export interface PrepareInput {
  job: PrepareJob;
  repo: RepoRef;
  setupCommand: string;
}

export async function prepare(github: GitHubClient, input: PrepareInput): Promise<Prepared> {
  const { job, repo } = input;
  const pr = job.followUp?.pr;
  const [headOwner = "", headName = ""] = (pr?.headRepo ?? "").split("/");
  const plan = (baseBranch: string) =>
    planFor(github, {
      repo: job.repo,
      base: repo,
      baseBranch,
      ...(pr ? { head: { repo: { owner: headOwner, repo: headName }, branch: pr.branch } } : {}),
      setupCommand: input.setupCommand,
    });
  const reading = github.rest.repos.get({ owner: repo.owner, repo: repo.repo }).catch(notFound(job.repo));
  const early = job.baseBranch === null ? null : plan(job.baseBranch);
  // Awaited after the repository's answer, whose failure (not found, say) is the one to report.
  early?.catch(() => undefined);
  const { data } = await reading;
  const baseBranch = job.baseBranch ?? data.default_branch;
  const environment = await (early ?? plan(baseBranch));
  return {
    baseBranch,
    // Without push access the branch goes to a fork (see fork-step.ts).
    canPush: data.permissions?.push !== false,
    // Internal repositories (GitHub Enterprise) need a credential to clone, as private ones do.
    private: data.private || (data.visibility ?? "public") !== "public",
    // GitHub's `size` is in KiB; 0 for a repository it has not measured yet, which counts as small.
    small: data.size <= FULL_CLONE_MAX_KIB,
    environment,
  };
}
