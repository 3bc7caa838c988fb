/**
 * The environment plan of a job's `prepare` step: read from the branch that will be cloned (a
 * follow-up's PR branch, which may live in a fork the credential cannot read: then the base
 * repository's branch is read instead, the environment a fork's branch most likely shares).
 * The tree is read by branch name a moment before the clone: a push in between can leave the key
 * one commit behind, which costs at most a setup that a warm start's updateContentCommand redoes.
 */
import type { GitHubClient } from "../github/client";
import type { RepoRef } from "../github/repo";
import { type EnvironmentPlan, planEnvironment } from "./plan";
import { readEnvironmentFiles } from "./repo-files";

export interface PlanSource {
  /** The repository the job is for (`owner/name`): the cache entry's identity. */
  repo: string;
  base: RepoRef;
  baseBranch: string;
  /** Where the clone comes from, when not `base` at `baseBranch` (a follow-up's PR head). */
  head?: { repo: RepoRef; branch: string };
  setupCommand: string;
}

export async function planFor(github: GitHubClient, source: PlanSource): Promise<EnvironmentPlan | null> {
  const { base, baseBranch, head } = source;
  const files = (head && (await readEnvironmentFiles(github, head.repo, head.branch))) ??
    (await readEnvironmentFiles(github, base, baseBranch)) ?? {
      // No such branch: the clone right after says so in its own words.
      lockfiles: [],
    };
  return planEnvironment(source.repo, files, source.setupCommand);
}
