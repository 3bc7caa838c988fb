/**
 * What others pushed to a PR branch while a turn ran (publish-update.ts): the commits from the
 * turn's start to the branch's head, read with one compare. Either one of them is this job's own
 * commit from an earlier try (its `Agent-Job` trailer), which is then the turn's result; or the
 * pushed commits must leave every path the turn changed alone, else the turn is `branch_moved`.
 */
import { JobError } from "../errors";
import type { GitHubClient } from "./client";
import type { RepoRef } from "./repo";

export interface PushedTurn {
  /** The turn's commit. */
  sha: string;
  /** The head the commit was rebased onto, when the branch had moved; else null. */
  rebasedOnto: string | null;
  /** Commits others pushed between the turn's start and its commit. */
  humanCommits: number;
}

/** GitHub's compare lists at most this many files: a longer list may hide a conflict. */
const COMPARE_FILES_CAP = 300;

/** The `Agent-Job` trailer that marks a commit as this job's. */
export function jobTrailer(jobId: string): string {
  return `Agent-Job: ${jobId}`;
}

/**
 * What was pushed since the turn started: this job's own commit from an earlier try (returned as
 * the result), or else a check that the pushed commits leave every path the turn changed alone.
 */
export async function pushedSince(
  octokit: GitHubClient,
  where: RepoRef,
  input: { branch: string; expectedHead: string; head: string; jobId: string; paths: string[] },
): Promise<{ own: PushedTurn } | { pushed: number }> {
  const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
    ...where,
    basehead: `${input.expectedHead}...${input.head}`,
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
  const clashes = input.paths.filter((p) => touched.some((t) => overlaps(p, t)));
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
