/**
 * Writing the sandbox's change set to GitHub from outside the sandbox (DESIGN.md decision 3):
 * blobs → a tree on the base commit's tree → a commit → a new branch → the pull request.
 * Every blob id GitHub computes is checked against the sandbox's own, so the branch holds exactly
 * the bytes the agent wrote.
 */
import type { Octokit } from "@octokit/rest";
import type { Change } from "../../protocol/sandbox";
import { JobError } from "../errors";
import type { RepoRef } from "./repo";

export interface PublishInput {
  repo: RepoRef;
  baseBranch: string;
  baseSha: string;
  branch: string;
  changes: Change[];
  title: string;
  body: string;
  draft: boolean;
}

export interface PublishedPr {
  url: string;
  number: number;
  branch: string;
  title: string;
  draft: boolean;
  filesChanged: number;
  additions: number;
  deletions: number;
}

type TreeEntry = { path: string; mode: "100644" | "100755" | "120000"; type: "blob"; sha: string | null };

/** Commits `changes` on top of `baseSha` as `branch` and opens the pull request. */
export async function publish(octokit: Octokit, input: PublishInput): Promise<PublishedPr> {
  const { owner, repo } = input.repo;
  if (input.changes.length === 0)
    throw new JobError("no_changes", "The agent made no changes; no pull request opened.");
  const tree: TreeEntry[] = [];
  for (const change of input.changes) {
    if (change.status === "deleted") {
      tree.push({ path: change.path, mode: "100644", type: "blob", sha: null });
      continue;
    }
    const { data: blob } = await octokit.rest.git.createBlob({
      owner,
      repo,
      content: change.contentBase64,
      encoding: "base64",
    });
    if (blob.sha !== change.sha) {
      throw new JobError(
        "publish_mismatch",
        `GitHub stored ${change.path} as blob ${blob.sha}, but the sandbox had ${change.sha}; nothing was pushed.`,
      );
    }
    tree.push({ path: change.path, mode: change.mode, type: "blob", sha: blob.sha });
  }
  const { data: base } = await octokit.rest.git.getCommit({ owner, repo, commit_sha: input.baseSha });
  const { data: newTree } = await octokit.rest.git.createTree({
    owner,
    repo,
    base_tree: base.tree.sha,
    tree,
  });
  const { data: commit } = await octokit.rest.git.createCommit({
    owner,
    repo,
    message: `${input.title}\n\n${input.body}`.slice(0, 60_000),
    tree: newTree.sha,
    parents: [input.baseSha],
  });
  await pointBranch(octokit, input.repo, input.branch, commit.sha);
  const pr = await openPull(octokit, input);
  return {
    url: pr.html_url,
    number: pr.number,
    branch: input.branch,
    title: pr.title,
    draft: pr.draft ?? input.draft,
    filesChanged: pr.changed_files,
    additions: pr.additions,
    deletions: pr.deletions,
  };
}

/** Creates the branch, or moves it if a retried attempt already made it (the branch is the job's own). */
async function pointBranch(
  octokit: Octokit,
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

async function openPull(octokit: Octokit, input: PublishInput) {
  const { owner, repo } = input.repo;
  try {
    const { data } = await octokit.rest.pulls.create({
      owner,
      repo,
      head: input.branch,
      base: input.baseBranch,
      title: input.title,
      body: input.body,
      draft: input.draft,
    });
    return data;
  } catch (error) {
    if (statusOf(error) !== 422) throw error;
    // A retried attempt may have opened it already: the branch is unique to this job.
    const { data: open } = await octokit.rest.pulls.list({
      owner,
      repo,
      head: `${owner}:${input.branch}`,
      state: "open",
    });
    const existing = open[0];
    if (!existing) throw error;
    const { data } = await octokit.rest.pulls.get({ owner, repo, pull_number: existing.number });
    return data;
  }
}

function statusOf(error: unknown): number | undefined {
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
