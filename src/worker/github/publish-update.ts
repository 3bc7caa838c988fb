/**
 * A follow-up's commit on an existing PR branch (issue 11, "the branch"): one commit on the head
 * the turn started from, and the ref moved without force. When someone pushed meanwhile, the
 * turn's files are laid onto the new head instead, unless a pushed commit touched one of them:
 * then nothing is pushed. Safe to repeat inside a retried step: the commit carries the job's
 * `Agent-Job` trailer, and a try that finds it on the branch answers with that commit.
 */
import type { Change, FileMode } from "../../protocol/sandbox";
import { JobError } from "../errors";
import type { GitHubClient } from "./client";
import { messageOf, statusOf } from "./publish";
import { jobTrailer, type PushedTurn, pushedSince } from "./pushed-since";
import type { RepoRef } from "./repo";

export { jobTrailer, type PushedTurn } from "./pushed-since";

/** One path the turn changed: its new blob, or `sha: null` when the turn deleted it. */
export type TurnChange = { path: string; mode: FileMode; sha: string } | { path: string; sha: null };

export interface PushTurnInput {
  /** The repository holding the branch (the job's repo, or the token's fork). */
  headRepo: RepoRef;
  branch: string;
  /** The commit the turn's clone started from. */
  expectedHead: string;
  /** The turn's tree, built on `expectedHead`'s tree. */
  tree: string;
  changes: TurnChange[];
  message: string;
  jobId: string;
}

/** Races with other pushes lost before giving up (each one re-reads the branch). */
const MAX_REBASES = 3;

/** The sandbox's change set as the turn's tree entries. */
export function turnChanges(changes: Change[]): TurnChange[] {
  return changes.map((c) =>
    c.status === "deleted" ? { path: c.path, sha: null } : { path: c.path, mode: c.mode, sha: c.sha },
  );
}

/** Commits the turn on the branch, never forcing and never dropping a commit someone pushed. */
export async function pushTurn(octokit: GitHubClient, input: PushTurnInput): Promise<PushedTurn> {
  if (input.changes.length === 0) throw new Error("pushTurn needs at least one change (no empty commits)");
  const where = input.headRepo;
  // The trailer goes last (where git looks for trailers), so a long message is cut before it.
  const message = `${input.message.trimEnd().slice(0, 59_000)}\n\n${jobTrailer(input.jobId)}\n`;
  const commit = async (tree: string, parent: string) =>
    (await octokit.rest.git.createCommit({ ...where, message, tree, parents: [parent] })).data.sha;

  let parent = input.expectedHead;
  let pushed = 0;
  let sha = await commit(input.tree, parent);
  for (let rebase = 0; ; rebase++) {
    if (await moveBranch(octokit, where, input.branch, sha)) {
      const moved = parent !== input.expectedHead;
      return { sha, rebasedOnto: moved ? parent : null, humanCommits: pushed };
    }
    const head = await branchHead(octokit, where, input.branch);
    const since = await pushedSince(octokit, where, {
      ...input,
      head,
      paths: input.changes.map((c) => c.path),
    });
    if ("own" in since) return since.own;
    pushed = since.pushed;
    if (rebase >= MAX_REBASES) {
      throw new JobError(
        "branch_moved",
        `The branch ${input.branch} kept moving while the turn was pushed (${MAX_REBASES + 1} tries); nothing was pushed, and the pushed commits are kept.`,
      );
    }
    const { data: base } = await octokit.rest.git.getCommit({ ...where, commit_sha: head });
    const entries = input.changes.map((c) =>
      c.sha === null
        ? { path: c.path, mode: "100644" as const, type: "blob" as const, sha: null }
        : { path: c.path, mode: c.mode, type: "blob" as const, sha: c.sha },
    );
    const { data: tree } = await octokit.rest.git.createTree({
      ...where,
      base_tree: base.tree.sha,
      tree: entries,
    });
    parent = head;
    sha = await commit(tree.sha, parent);
  }
}

/** Moves the branch to `sha` as a fast-forward; false when GitHub refused because it moved. */
async function moveBranch(octokit: GitHubClient, where: RepoRef, branch: string, sha: string) {
  try {
    await octokit.rest.git.updateRef({ ...where, ref: `heads/${branch}`, sha, force: false });
    return true;
  } catch (error) {
    if (statusOf(error) !== 422) throw error;
    const said = messageOf(error);
    if (/not a fast.?forward/i.test(said)) return false;
    if (/reference does not exist/i.test(said)) throw branchGone(where, branch);
    throw error;
  }
}

async function branchHead(octokit: GitHubClient, where: RepoRef, branch: string): Promise<string> {
  try {
    return (await octokit.rest.git.getRef({ ...where, ref: `heads/${branch}` })).data.object.sha;
  } catch (error) {
    if (statusOf(error) === 404) throw branchGone(where, branch);
    throw error;
  }
}

function branchGone(where: RepoRef, branch: string): JobError {
  return new JobError(
    "branch_deleted",
    `The branch ${branch} no longer exists on ${where.owner}/${where.repo}; nothing was pushed.`,
  );
}
