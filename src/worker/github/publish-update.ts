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
import type { RepoRef } from "./repo";

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

export interface PushedTurn {
  /** The turn's commit. */
  sha: string;
  /** The head the commit was rebased onto, when the branch had moved; else null. */
  rebasedOnto: string | null;
  /** Commits others pushed between `expectedHead` and the turn's commit. */
  humanCommits: number;
}

/** Races with other pushes lost before giving up (each one re-reads the branch). */
const MAX_REBASES = 3;
/** GitHub's compare lists at most this many files: a longer list may hide a conflict. */
const COMPARE_FILES_CAP = 300;

/** The sandbox's change set as the turn's tree entries. */
export function turnChanges(changes: Change[]): TurnChange[] {
  return changes.map((c) =>
    c.status === "deleted" ? { path: c.path, sha: null } : { path: c.path, mode: c.mode, sha: c.sha },
  );
}

/** The `Agent-Job` trailer that marks a commit as this job's. */
export function jobTrailer(jobId: string): string {
  return `Agent-Job: ${jobId}`;
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
    const since = await sinceExpected(octokit, input, head);
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

/**
 * What was pushed since the turn started: this job's own commit from an earlier try (returned as
 * the result), or else a check that the pushed commits leave every path the turn changed alone.
 */
async function sinceExpected(
  octokit: GitHubClient,
  input: PushTurnInput,
  head: string,
): Promise<{ own: PushedTurn } | { pushed: number }> {
  const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
    ...input.headRepo,
    basehead: `${input.expectedHead}...${head}`,
  });
  const trailer = jobTrailer(input.jobId);
  const at = data.commits.findIndex((c) => c.commit.message.split("\n").some((l) => l.trim() === trailer));
  const own = data.commits[at];
  if (own) {
    const onto = own.parents[0]?.sha ?? input.expectedHead;
    return {
      own: { sha: own.sha, rebasedOnto: onto === input.expectedHead ? null : onto, humanCommits: at },
    };
  }
  const kept = "nothing was pushed, and the pushed commits are kept";
  if (data.status !== "ahead" && data.status !== "identical") {
    throw new JobError(
      "branch_moved",
      `The branch ${input.branch} was rewritten while the turn ran (its head no longer contains ${input.expectedHead.slice(0, 7)}); ${kept}.`,
    );
  }
  const files = data.files ?? [];
  if (files.length >= COMPARE_FILES_CAP) {
    throw new JobError(
      "branch_moved",
      `The branch ${input.branch} moved while the turn ran, with more files changed than GitHub lists (${files.length}), so the turn's files cannot be checked; ${kept}.`,
    );
  }
  const touched = files.flatMap((f) => [f.filename, ...(f.previous_filename ? [f.previous_filename] : [])]);
  const clashes = input.changes.map((c) => c.path).filter((p) => touched.some((t) => overlaps(p, t)));
  if (clashes.length > 0) {
    const list =
      clashes.slice(0, 10).join(", ") + (clashes.length > 10 ? ` and ${clashes.length - 10} more` : "");
    throw new JobError(
      "branch_moved",
      `The branch ${input.branch} moved while the turn ran: ${data.ahead_by} pushed commit(s) changed ${list}, which the turn changed too; ${kept}.`,
    );
  }
  return { pushed: data.ahead_by };
}

/** The same path, or one inside the other (a file where the other side has a directory). */
function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}
