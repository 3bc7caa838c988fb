// A pull request's conversation on the GitHub stand-in, through the Issues, Reactions and Pulls
// APIs: comments (create, list with `since` and pages), 👀 and the other reactions on a comment or
// on the PR itself, a review's inline comments, and a user's permission on the repository. Issue
// numbers are the pull requests' (the stand-in has no plain issues), answered 404 otherwise.
import { asObject, GitHubError, type Route, type RouteContext, validationFailed } from "./github-route";
import type { PullRecord } from "./github-state";
import type { Permission, ReactionContent, ReactionRecord } from "./github-talk";
import { issueCommentJson, permissionJson, reactionJson, reviewCommentJson } from "./github-talk-json";

/** GitHub's limit on a comment's body. */
const MAX_BODY = 65_536;

function pullOf(ctx: RouteContext, param: string): PullRecord {
  const pull = ctx.world.pulls.find(
    (p) => p.owner === ctx.repo.owner && p.repo === ctx.repo.name && String(p.number) === ctx.params[param],
  );
  if (!pull) throw new GitHubError(404, "Not Found");
  return pull;
}

const createComment: Route = {
  method: "POST",
  template: "/repos/{owner}/{repo}/issues/{issue_number}/comments",
  async handle(ctx) {
    const pull = pullOf(ctx, "issue_number");
    const body = asObject(ctx.body).body;
    if (typeof body !== "string" || body.trim() === "")
      throw validationFailed("IssueComment", "data", "unprocessable", "Body cannot be blank");
    if (body.length > MAX_BODY)
      throw validationFailed(
        "IssueComment",
        "data",
        "unprocessable",
        `Body is too long (maximum is ${MAX_BODY} characters)`,
      );
    const comment = ctx.world.talk.addComment(pull, {
      user: ctx.world.login,
      body,
      association: ctx.world.login === ctx.repo.owner ? "OWNER" : "COLLABORATOR",
    });
    const json = issueCommentJson(ctx.world.urls, pull, comment);
    return { status: 201, body: json, headers: { location: json.url } };
  },
};

const listComments: Route = {
  method: "GET",
  template: "/repos/{owner}/{repo}/issues/{issue_number}/comments",
  async handle(ctx) {
    const pull = pullOf(ctx, "issue_number");
    const since = ctx.query.get("since");
    const perPage = Math.min(100, Math.max(1, Number(ctx.query.get("per_page") ?? "30") || 30));
    const page = Math.max(1, Number(ctx.query.get("page") ?? "1") || 1);
    if (since !== null && Number.isNaN(Date.parse(since)))
      throw validationFailed("IssueComment", "since", "invalid");
    const all = ctx.world.talk.comments.filter(
      (c) =>
        c.owner === pull.owner &&
        c.repo === pull.repo &&
        c.number === pull.number &&
        (since === null || Date.parse(c.updatedAt) >= Date.parse(since)),
    );
    const slice = all.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < all.length) {
      const next = new URLSearchParams(ctx.query);
      next.set("page", String(page + 1));
      const base = `${ctx.world.urls.api}/repos/${pull.owner}/${pull.repo}/issues/${pull.number}/comments`;
      headers.link = `<${base}?${next}>; rel="next"`;
    }
    return { status: 200, body: slice.map((c) => issueCommentJson(ctx.world.urls, pull, c)), headers };
  },
};

/** 201 for a new reaction, 200 for one the user already left (as GitHub answers). */
function reactOn(ctx: RouteContext, list: ReactionRecord[]) {
  const content = asObject(ctx.body).content as ReactionContent;
  const { reaction, created } = ctx.world.talk.react(list, ctx.world.login, content);
  return { status: created ? 201 : 200, body: reactionJson(ctx.world.urls, reaction) };
}

const reactToComment: Route = {
  method: "POST",
  template: "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
  async handle(ctx) {
    const comment = ctx.world.talk.comments.find(
      (c) => c.owner === ctx.repo.owner && c.repo === ctx.repo.name && String(c.id) === ctx.params.comment_id,
    );
    if (!comment) throw new GitHubError(404, "Not Found");
    return reactOn(ctx, comment.reactions);
  },
};

const reactToIssue: Route = {
  method: "POST",
  template: "/repos/{owner}/{repo}/issues/{issue_number}/reactions",
  async handle(ctx) {
    return reactOn(ctx, ctx.world.talk.reactionsOn(pullOf(ctx, "issue_number")));
  },
};

const permission: Route = {
  method: "GET",
  template: "/repos/{owner}/{repo}/collaborators/{username}/permission",
  async handle(ctx) {
    const login = ctx.params.username ?? "";
    const { talk, login: tokenUser } = ctx.world;
    const set = talk.permission(ctx.repo, login);
    const lower = login.toLowerCase();
    let role: Permission;
    if (set) role = set;
    else if (lower === ctx.repo.owner.toLowerCase()) role = "admin";
    else if (lower === tokenUser.toLowerCase())
      role = ctx.repo.pushable === false || ctx.repo.collaborator === false ? "read" : "write";
    else if (talk.users.has(lower)) role = ctx.repo.private ? "none" : "read";
    else throw new GitHubError(404, `${login} is not a user`);
    return { status: 200, body: permissionJson(ctx.world.urls, login, role) };
  },
};

const reviewComments: Route = {
  method: "GET",
  template: "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/comments",
  async handle(ctx) {
    const pull = pullOf(ctx, "pull_number");
    const review = ctx.world.talk.reviews.find(
      (r) =>
        r.owner === pull.owner &&
        r.repo === pull.repo &&
        r.number === pull.number &&
        String(r.id) === ctx.params.review_id,
    );
    if (!review) throw new GitHubError(404, "Not Found");
    return {
      status: 200,
      body: review.comments.map((c) => reviewCommentJson(ctx.world.urls, pull, review, c)),
    };
  },
};

export const issueRoutes: Route[] = [
  createComment,
  listComments,
  reactToComment,
  reactToIssue,
  permission,
  reviewComments,
];
