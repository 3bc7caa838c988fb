/**
 * The job's `prepare` step: what GitHub says about the repository (its default branch, push
 * access, visibility, size) and the environment plan read from the branch that will be cloned.
 * The plan's reads (branch, then its root tree) need the branch's name; when the job names it, or
 * when this isolate saw the repository's default branch before, they run beside the repository's
 * read instead of after it. A remembered default branch is only a guess: the repository's answer
 * decides, and a guess it contradicts is read again under the right name.
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

/** How many repositories' default branches an isolate remembers (the oldest is forgotten first). */
const REMEMBERED = 256;
const defaultBranches = new Map<string, string>();

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
  /** The GitHub API the client talks to: with the repository, the remembered branch's key. */
  apiUrl: string;
  setupCommand: string;
}

export async function prepare(github: GitHubClient, input: PrepareInput): Promise<Prepared> {
  const { job, repo } = input;
  const key = `${input.apiUrl} ${repo.owner}/${repo.repo}`.toLowerCase();
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
  const guess = job.baseBranch ?? defaultBranches.get(key);
  const early = guess === undefined ? null : plan(guess);
  // Awaited after the repository's answer, whose failure (not found, say) is the one to report.
  early?.catch(() => undefined);
  const { data } = await reading;
  remember(key, data.default_branch);
  const baseBranch = job.baseBranch ?? data.default_branch;
  const environment = await (early && guess === baseBranch ? early : plan(baseBranch));
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

function remember(key: string, branch: string): void {
  defaultBranches.delete(key);
  defaultBranches.set(key, branch);
  if (defaultBranches.size > REMEMBERED) {
    const oldest = defaultBranches.keys().next().value;
    if (oldest !== undefined) defaultBranches.delete(oldest);
  }
}
