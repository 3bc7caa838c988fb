// What people say on the GitHub stand-in's pull requests: issue comments (the PR's conversation),
// reviews with their inline comments, reactions, and each user's permission on a repository.
// Tests add comments and reviews as any user (with the `author_association` GitHub would give);
// the API adds comments as the token's user. Inline comments get their diff hunk from real git,
// cut at the commented line as GitHub cuts it.
import { isoSeconds } from "./github-git";
import { stableId } from "./github-objects";
import type { PullRecord, RepoRecord } from "./github-state";

export type Association =
  | "OWNER"
  | "MEMBER"
  | "COLLABORATOR"
  | "CONTRIBUTOR"
  | "FIRST_TIME_CONTRIBUTOR"
  | "FIRST_TIMER"
  | "MANNEQUIN"
  | "NONE";
export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none";
export type ReactionContent = "+1" | "-1" | "laugh" | "confused" | "heart" | "hooray" | "rocket" | "eyes";

export interface ReactionRecord {
  id: number;
  user: string;
  content: ReactionContent;
  createdAt: string;
}

export interface IssueCommentRecord {
  id: number;
  owner: string;
  repo: string;
  /** The PR's number (its issue's). */
  number: number;
  user: string;
  /** `Bot` for an App's own comments. */
  userType: "User" | "Bot";
  body: string;
  association: Association;
  createdAt: string;
  updatedAt: string;
  reactions: ReactionRecord[];
}

export interface ReviewCommentRecord {
  id: number;
  path: string;
  /** The line of the PR's head version of `path` the comment is on. */
  line: number;
  /** Its place in the file's diff (1 = the first line after the first `@@`). */
  position: number;
  diffHunk: string;
  body: string;
}

export interface ReviewRecord {
  id: number;
  owner: string;
  repo: string;
  number: number;
  user: string;
  body: string;
  association: Association;
  state: "COMMENTED" | "APPROVED" | "CHANGES_REQUESTED";
  commitId: string;
  submittedAt: string;
  comments: ReviewCommentRecord[];
}

/** An inline comment a test asks for: on `line` of `path` in the PR's head (a line of its diff). */
export interface InlineCommentInput {
  path: string;
  line: number;
  body: string;
}

export class PullTalk {
  readonly comments: IssueCommentRecord[] = [];
  readonly reviews: ReviewRecord[] = [];
  /** Reactions on a PR itself (its issue), by `owner/repo#number`. */
  readonly issueReactions = new Map<string, ReactionRecord[]>();
  /** Permissions set by tests, by `owner/repo:login` (lowercase). */
  private readonly permissions = new Map<string, Permission>();
  /** Logins GitHub knows (anyone who commented, reviewed or was given a permission). */
  readonly users = new Set<string>();
  private next = 1;

  private id(kind: string): number {
    return stableId(kind, String(this.next++));
  }

  setPermission(repo: RepoRecord, login: string, permission: Permission): void {
    this.users.add(login.toLowerCase());
    this.permissions.set(`${repo.owner}/${repo.name}:${login}`.toLowerCase(), permission);
  }

  permission(repo: RepoRecord, login: string): Permission | undefined {
    return this.permissions.get(`${repo.owner}/${repo.name}:${login}`.toLowerCase());
  }

  addComment(
    pull: PullRecord,
    input: { user: string; body: string; association: Association; userType?: "User" | "Bot" },
  ): IssueCommentRecord {
    this.users.add(input.user.toLowerCase());
    const now = isoSeconds(new Date());
    const record: IssueCommentRecord = {
      id: this.id("issue-comment"),
      owner: pull.owner,
      repo: pull.repo,
      number: pull.number,
      user: input.user,
      userType: input.userType ?? "User",
      body: input.body,
      association: input.association,
      createdAt: now,
      updatedAt: now,
      reactions: [],
    };
    this.comments.push(record);
    return record;
  }

  async addReview(
    repo: RepoRecord,
    pull: PullRecord,
    headSha: string,
    input: { user: string; body: string; association: Association; comments: InlineCommentInput[] },
  ): Promise<ReviewRecord> {
    this.users.add(input.user.toLowerCase());
    const comments: ReviewCommentRecord[] = [];
    for (const c of input.comments) {
      const diff = (
        await repo.git.run(["diff", "--no-color", "-U3", pull.baseSha, headSha, "--", c.path])
      ).toString("utf8");
      const place = hunkAt(diff, c.line);
      // GitHub: "pull_request_review_thread.line must be part of the diff".
      if (!place) throw new Error(`line ${c.line} of ${c.path} is not part of the pull request's diff`);
      comments.push({ id: this.id("review-comment"), path: c.path, line: c.line, body: c.body, ...place });
    }
    const review: ReviewRecord = {
      id: this.id("review"),
      owner: pull.owner,
      repo: pull.repo,
      number: pull.number,
      user: input.user,
      body: input.body,
      association: input.association,
      state: "COMMENTED",
      commitId: headSha,
      submittedAt: isoSeconds(new Date()),
      comments,
    };
    this.reviews.push(review);
    return review;
  }

  /** Adds `user`'s `content` reaction to `list`; false when it was already there (GitHub answers 200). */
  react(
    list: ReactionRecord[],
    user: string,
    content: ReactionContent,
  ): { reaction: ReactionRecord; created: boolean } {
    const existing = list.find((r) => r.user === user && r.content === content);
    if (existing) return { reaction: existing, created: false };
    const reaction = { id: this.id("reaction"), user, content, createdAt: isoSeconds(new Date()) };
    list.push(reaction);
    return { reaction, created: true };
  }

  reactionsOn(pull: { owner: string; repo: string; number: number }): ReactionRecord[] {
    const key = `${pull.owner}/${pull.repo}#${pull.number}`.toLowerCase();
    let list = this.issueReactions.get(key);
    if (!list) {
      list = [];
      this.issueReactions.set(key, list);
    }
    return list;
  }
}

/**
 * Where new-side `line` sits in a one-file unified diff: its position (lines after the first `@@`,
 * counting later `@@` lines too, as GitHub counts) and the hunk up to and including it.
 */
export function hunkAt(diff: string, line: number): { position: number; diffHunk: string } | undefined {
  const lines = diff.split("\n");
  const first = lines.findIndex((l) => l.startsWith("@@"));
  if (first < 0) return undefined;
  let hunkStart = first;
  let newLine = 0;
  for (let i = first; i < lines.length; i++) {
    const text = lines[i] ?? "";
    const header = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
    if (header) {
      hunkStart = i;
      newLine = Number(header[1]) - 1;
      continue;
    }
    if (text.startsWith("-") || text.startsWith("\\")) continue;
    if (!text.startsWith("+") && !text.startsWith(" ")) continue;
    newLine++;
    if (newLine === line) return { position: i - first, diffHunk: lines.slice(hunkStart, i + 1).join("\n") };
  }
  return undefined;
}
