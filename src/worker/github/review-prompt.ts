/**
 * A review's prompt: what its body asks, then each of its inline comments with where it points —
 * the file, the line and the diff hunk GitHub shows above it — so the agent reads the review the
 * way its author wrote it. Bounded: a long hunk keeps its last lines (the commented line is the
 * hunk's last), and a review's comments past the first hundred are left out, said so.
 */
import type { GitHubClient } from "./client";
import type { RepoRef } from "./repo";

const MAX_COMMENTS = 100;
const MAX_HUNK_LINES = 30;

export interface InlineComment {
  path: string;
  /** The line in the file the comment is on; null when GitHub no longer places it (outdated). */
  line: number | null;
  diffHunk: string;
  body: string;
}

/** The review's inline comments, in the order GitHub lists them. */
export async function reviewComments(
  client: GitHubClient,
  repo: RepoRef,
  number: number,
  reviewId: number,
): Promise<InlineComment[]> {
  const { data } = await client.rest.pulls.listCommentsForReview({
    owner: repo.owner,
    repo: repo.repo,
    pull_number: number,
    review_id: reviewId,
    per_page: MAX_COMMENTS,
  });
  return data.map((c) => ({
    path: c.path,
    line: c.line ?? c.original_line ?? null,
    diffHunk: c.diff_hunk,
    body: c.body,
  }));
}

function tail(hunk: string): string {
  const lines = hunk.replace(/\n+$/, "").split("\n");
  if (lines.length <= MAX_HUNK_LINES) return lines.join("\n");
  // The header says where the hunk starts; keep it, then the lines nearest the comment.
  return [lines[0] ?? "", "…", ...lines.slice(-MAX_HUNK_LINES)].join("\n");
}

/** The follow-up's prompt for a review: its request, then every inline comment in full. */
export function reviewPrompt(request: string, comments: InlineComment[]): string {
  const parts = [request.trim() || "Address the review comments below."];
  if (comments.length === 0) return parts[0] ?? "";
  parts.push(`The review has ${comments.length} inline comment${comments.length === 1 ? "" : "s"}:`);
  for (const c of comments) {
    const where = c.line === null ? `${c.path} (outdated: no longer on a line)` : `${c.path} line ${c.line}`;
    // A fence longer than any backtick run in the hunk, so the hunk cannot close it.
    const fence = "`".repeat(Math.max(3, ...[...c.diffHunk.matchAll(/`+/g)].map((m) => m[0].length + 1)));
    parts.push(`### ${where}\n\n${fence}diff\n${tail(c.diffHunk)}\n${fence}\n\n${c.body.trim()}`);
  }
  if (comments.length >= MAX_COMMENTS)
    parts.push(`(Only the first ${MAX_COMMENTS} comments of the review are listed.)`);
  return parts.join("\n\n");
}
