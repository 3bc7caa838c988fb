/**
 * The GitHub side of publishing after the tree is written (publish-tree.ts): the commit, the
 * branch and the pull request, each safe to repeat when a retried step runs it again.
 */
import type { JobEvent } from "../../protocol/events";
import type { GitHubClient } from "./client";
import type { RepoRef } from "./repo";

/** What the commit, branch and pull request are made of. */
export interface PullInput {
  /** The repository the pull request is opened on. */
  repo: RepoRef;
  /** Where the branch is written when it is not `repo` (a fork): the PR's head is then `owner:branch`. */
  headRepo?: RepoRef;
  baseBranch: string;
  branch: string;
  title: string;
  body: string;
  draft: boolean;
}

/** The `pr` event's data, plus whether a draft had to be opened ready. */
export type PublishedPr = Extract<JobEvent, { type: "pr" }>["data"] & {
  /** Asked for a draft, but the repository does not support drafts: opened ready instead. */
  draftRefused?: boolean;
};

/** Said in the body of a PR that was asked for as a draft and opened ready. */
export const DRAFT_REFUSED_NOTE =
  "_Opened as a ready pull request: this repository does not support draft pull requests._";

/** The commit of `tree` on `parent`, titled and described like the pull request. */
export async function commitTree(
  octokit: GitHubClient,
  input: PullInput,
  tree: string,
  parent: string,
): Promise<string> {
  const { data } = await octokit.rest.git.createCommit({
    ...(input.headRepo ?? input.repo),
    message: `${input.title}\n\n${input.body}`.slice(0, 60_000),
    tree,
    parents: [parent],
  });
  return data.sha;
}

/** Points the job's branch at `sha` and opens (or finds) its pull request. */
export async function branchAndPull(
  octokit: GitHubClient,
  input: PullInput,
  sha: string,
): Promise<PublishedPr> {
  await pointBranch(octokit, input.headRepo ?? input.repo, input.branch, sha);
  const { pr, draftRefused } = await openPull(octokit, input);
  return {
    url: pr.html_url,
    number: pr.number,
    branch: input.branch,
    title: pr.title,
    draft: pr.draft ?? input.draft,
    filesChanged: pr.changed_files,
    additions: pr.additions,
    deletions: pr.deletions,
    headSha: sha,
    ...(draftRefused ? { draftRefused } : {}),
  };
}

/** Creates the branch, or moves it if a retried attempt already made it (the branch is the job's own). */
async function pointBranch(
  octokit: GitHubClient,
  { owner, repo }: RepoRef,
  branch: string,
  sha: string,
): Promise<void> {
  try {
    await octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha });
  } catch (error) {
    if (statusOf(error) !== 422) throw error;
    await octokit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha, force: true });
  }
}

/**
 * Opens the PR. A draft refused with GitHub's 422 ("Draft pull requests are not supported in this
 * repository") is opened ready instead, and says so; a 422 for a duplicate finds the PR a retried
 * attempt already opened (the branch is unique to this job).
 */
async function openPull(octokit: GitHubClient, input: PullInput) {
  const { owner, repo } = input.repo;
  const head = input.headRepo ? `${input.headRepo.owner}:${input.branch}` : input.branch;
  const create = (draft: boolean, body: string) =>
    octokit.rest.pulls.create({ owner, repo, head, base: input.baseBranch, title: input.title, body, draft });
  try {
    return { pr: (await create(input.draft, input.body)).data, draftRefused: false };
  } catch (error) {
    if (statusOf(error) !== 422) throw error;
    if (input.draft && /draft pull requests are not supported/i.test(messageOf(error))) {
      const { data } = await create(false, `${DRAFT_REFUSED_NOTE}\n\n${input.body}`);
      return { pr: data, draftRefused: true };
    }
    const owned = input.headRepo?.owner ?? owner;
    const { data: open } = await octokit.rest.pulls.list({
      owner,
      repo,
      head: `${owned}:${input.branch}`,
      state: "open",
    });
    const existing = open[0];
    if (!existing) throw error;
    const { data } = await octokit.rest.pulls.get({ owner, repo, pull_number: existing.number });
    return { pr: data, draftRefused: !data.draft && input.draft };
  }
}

/** The error's message and GitHub's response body (whose `errors[].message` names the 422's cause). */
export function messageOf(error: unknown): string {
  const data =
    typeof error === "object" && error !== null && "response" in error ? error.response : undefined;
  const body = typeof data === "object" && data !== null && "data" in data ? JSON.stringify(data.data) : "";
  return `${error instanceof Error ? error.message : String(error)} ${body}`;
}

export function statusOf(error: unknown): number | undefined {
  return typeof error === "object" && error !== null && "status" in error && typeof error.status === "number"
    ? error.status
    : undefined;
}

/** `agent/<slug>-<short job id>`: readable in GitHub's branch list, unique per job. */
export function branchName(title: string, jobId: string): string {
  const slug = title
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/g, "");
  return `agent/${slug || "change"}-${jobId.replace(/-/g, "").slice(0, 8)}`;
}
