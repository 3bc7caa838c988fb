// The JSON objects of the GitHub stand-in's PR conversation — issue comments, reactions, review
// comments, a collaborator's permission — filled the way api.github.com fills them.
import { nodeId, stableId, type Urls, userJson } from "./github-objects";
import type { PullRecord } from "./github-state";
import type {
  IssueCommentRecord,
  Permission,
  ReactionRecord,
  ReviewCommentRecord,
  ReviewRecord,
} from "./github-talk";

/** A `simple-user`, `Bot` for an App's account. */
export function actorJson(urls: Urls, login: string, type: "User" | "Bot" = "User") {
  return { ...userJson(urls, login), type };
}

export function issueCommentJson(urls: Urls, pull: PullRecord, c: IssueCommentRecord) {
  const api = `${urls.api}/repos/${c.owner}/${c.repo}`;
  return {
    id: c.id,
    node_id: nodeId("IC", c.id),
    url: `${api}/issues/comments/${c.id}`,
    html_url: `${pull.htmlUrl}#issuecomment-${c.id}`,
    body: c.body,
    user: actorJson(urls, c.user, c.userType),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    issue_url: `${api}/issues/${c.number}`,
    author_association: c.association,
  };
}

export function reactionJson(urls: Urls, r: ReactionRecord) {
  return {
    id: r.id,
    node_id: nodeId("REA", r.id),
    user: userJson(urls, r.user),
    content: r.content,
    created_at: r.createdAt,
  };
}

export function reviewCommentJson(
  urls: Urls,
  pull: PullRecord,
  review: ReviewRecord,
  c: ReviewCommentRecord,
) {
  const api = `${urls.api}/repos/${review.owner}/${review.repo}`;
  const self = `${api}/pulls/comments/${c.id}`;
  const html = `${pull.htmlUrl}#discussion_r${c.id}`;
  const pullUrl = `${api}/pulls/${review.number}`;
  return {
    url: self,
    pull_request_review_id: review.id,
    id: c.id,
    node_id: nodeId("PRRC", c.id),
    diff_hunk: c.diffHunk,
    path: c.path,
    position: c.position,
    original_position: c.position,
    commit_id: review.commitId,
    original_commit_id: review.commitId,
    user: userJson(urls, review.user),
    body: c.body,
    created_at: review.submittedAt,
    updated_at: review.submittedAt,
    html_url: html,
    pull_request_url: pullUrl,
    author_association: review.association,
    _links: { self: { href: self }, html: { href: html }, pull_request: { href: pullUrl } },
    side: "RIGHT",
    line: c.line,
    original_line: c.line,
    start_line: null,
    original_start_line: null,
    start_side: null,
    subject_type: "line",
  };
}

/** `repository-collaborator-permission`: the legacy level (maintain reads write, triage read) and the role. */
export function permissionJson(urls: Urls, login: string, role: Permission) {
  const legacy = role === "maintain" ? "write" : role === "triage" ? "read" : role;
  const user =
    role === "none"
      ? null
      : {
          ...userJson(urls, login),
          role_name: role,
          permissions: {
            pull: true,
            triage: role !== "read",
            push: legacy === "write" || legacy === "admin",
            maintain: role === "maintain" || role === "admin",
            admin: role === "admin",
          },
        };
  return { permission: legacy, role_name: role, user };
}

/** `integration`: the App `GET /app` describes. */
export function appJson(urls: Urls, appId: string, slug: string) {
  const id = Number(appId);
  return {
    id,
    slug,
    node_id: nodeId("A", id),
    client_id: `Iv1.${stableId("client", appId).toString(16)}`,
    owner: userJson(urls, "stand-in-owner"),
    name: slug,
    description: "The stand-in's GitHub App",
    external_url: `${urls.web}/apps/${slug}`,
    html_url: `${urls.web}/apps/${slug}`,
    created_at: "2024-01-01T00:00:00Z",
    updated_at: "2024-01-01T00:00:00Z",
    permissions: { contents: "write", pull_requests: "write", metadata: "read" },
    events: ["issue_comment", "pull_request_review"],
  };
}
