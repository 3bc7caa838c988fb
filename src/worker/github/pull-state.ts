/**
 * An existing pull request as a follow-up sees it: whether it is still open, where its branch is
 * and what its head is now (`pullState`), and the turn's new body and, when asked, title
 * (`updatePull`). A PR closed or merged by now ends the turn with `pr_closed`.
 */
import { JobError } from "../errors";
import type { GitHubClient } from "./client";
import { type PublishedPr, statusOf } from "./publish";
import type { RepoRef } from "./repo";

export interface PullState {
  open: boolean;
  merged: boolean;
  title: string;
  body: string | null;
  /** The head branch's name. */
  headRef: string;
  /** The commit GitHub has as the PR's head. */
  headSha: string;
  /** `owner/name` holding the head branch; null when that repository was deleted (a fork, say). */
  headRepo: string | null;
  baseRef: string;
  baseSha: string;
  url: string;
  draft: boolean;
}

/** The PR `number` on `repo` now; a PR that does not exist (or cannot be seen) is `pr_not_found`. */
export async function pullState(octokit: GitHubClient, repo: RepoRef, number: number): Promise<PullState> {
  try {
    const { data } = await octokit.rest.pulls.get({ ...repo, pull_number: number });
    return {
      open: data.state === "open",
      merged: data.merged,
      title: data.title,
      body: data.body,
      headRef: data.head.ref,
      headSha: data.head.sha,
      headRepo: data.head.repo?.full_name ?? null,
      baseRef: data.base.ref,
      baseSha: data.base.sha,
      url: data.html_url,
      draft: data.draft ?? false,
    };
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
    throw new JobError(
      "pr_not_found",
      `Pull request #${number} does not exist on ${repo.owner}/${repo.repo}, or the credentials cannot see it.`,
    );
  }
}

/** Why a turn cannot continue a PR that is no longer open. */
export function closedError(repo: RepoRef, number: number, merged: boolean): JobError {
  const what = merged ? "was merged" : "was closed";
  return new JobError(
    "pr_closed",
    `Pull request #${number} on ${repo.owner}/${repo.repo} ${what}, so it takes no follow-up; ask for a new pull request instead.`,
  );
}

export interface UpdatePullInput {
  repo: RepoRef;
  number: number;
  /** A new title, only when the turn asked for one; the PR keeps its own otherwise. */
  title?: string;
  body: string;
  /** The commit the turn pushed, reported as `headSha` (GitHub's own view may lag a push). */
  headSha?: string;
}

/** The turn's `pr` event data: the same PR, `updated`, with its head after the turn. */
export type UpdatedPr = PublishedPr & { updated: true; headSha: string };

/** Writes the regenerated body (and the title asked for) to the open PR. */
export async function updatePull(octokit: GitHubClient, input: UpdatePullInput): Promise<UpdatedPr> {
  const { repo, number } = input;
  const now = await pullState(octokit, repo, number);
  if (!now.open) throw closedError(repo, number, now.merged);
  const retitle = input.title !== undefined && input.title.trim() !== "" && input.title !== now.title;
  const { data } = await octokit.rest.pulls.update({
    ...repo,
    pull_number: number,
    body: input.body,
    ...(retitle ? { title: input.title } : {}),
  });
  // Closed between the read and the write: GitHub takes a closed PR's body, but the turn is over.
  if (data.state !== "open") throw closedError(repo, number, data.merged);
  return {
    url: data.html_url,
    number: data.number,
    branch: data.head.ref,
    title: data.title,
    draft: data.draft ?? false,
    filesChanged: data.changed_files,
    additions: data.additions,
    deletions: data.deletions,
    updated: true,
    headSha: input.headSha ?? data.head.sha,
  };
}
