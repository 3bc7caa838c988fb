// Pull requests on the GitHub stand-in: create (with GitHub's 422s for a missing branch, a duplicate,
// or nothing to merge), get and list. A head in a fork (`login:branch`) is fetched into the base
// repository as `refs/pull/N/head`, as GitHub does; diff stats come from real git.
import { isoSeconds } from "./github-git";
import { nodeId, repoJson, stableId, userJson } from "./github-objects";
import { asObject, GitHubError, type Route, type RouteContext, validationFailed } from "./github-route";
import type { GitHubWorld, PullRecord, RepoRecord } from "./github-state";

type DiffStats = Awaited<ReturnType<RepoRecord["git"]["diffStats"]>>;

/**
 * A `pull-request-simple`, or with `full` a `pull-request` (stats, mergeability). `fresh`: the
 * create's own answer, with the head, base and stats it has just read (no git run again for them).
 */
export async function pullJson(
  ctx: RouteContext,
  pull: PullRecord,
  full: boolean,
  fresh?: { headSha: string; baseSha: string; stats: DiffStats },
) {
  const open = pull.state === "open";
  const { urls } = ctx.world;
  const repo: RepoRecord = ctx.repo;
  const api = `${urls.api}/repos/${repo.owner}/${repo.name}`;
  const issue = `${api}/issues/${pull.number}`;
  const crossRepo = pull.headOwner.toLowerCase() !== repo.owner.toLowerCase();
  const headRepo = (crossRepo && ctx.world.repo(pull.headOwner, repo.name)) || repo;
  // A closed PR no longer follows its branches: it keeps the commits it closed on.
  const live = async (ref: string) => (open ? await repo.git.resolveRef(ref) : undefined);
  const headSha =
    fresh?.headSha ?? (open ? await liveHead(ctx.world, repo, pull) : undefined) ?? pull.headSha;
  const baseSha = fresh?.baseSha ?? (await live(`refs/heads/${pull.base}`)) ?? pull.baseSha;
  const side = (ref: string, sha: string, of: RepoRecord) => ({
    label: `${of.owner}:${ref}`,
    ref,
    sha,
    user: userJson(urls, of.owner),
    repo: repoJson(urls, of),
  });
  const href = (url: string) => ({ href: url });
  const simple = {
    url: `${api}/pulls/${pull.number}`,
    id: pull.id,
    node_id: nodeId("PR", pull.id),
    html_url: pull.htmlUrl,
    diff_url: `${pull.htmlUrl}.diff`,
    patch_url: `${pull.htmlUrl}.patch`,
    issue_url: issue,
    commits_url: `${api}/pulls/${pull.number}/commits`,
    review_comments_url: `${api}/pulls/${pull.number}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${issue}/comments`,
    statuses_url: `${api}/statuses/${headSha}`,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: pull.title,
    user: userJson(urls, pull.user),
    body: pull.body,
    labels: [],
    milestone: null,
    active_lock_reason: null,
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    closed_at: pull.closedAt,
    merged_at: pull.mergedAt,
    merge_commit_sha: pull.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: side(pull.head, headSha, headRepo),
    base: side(pull.base, baseSha, repo),
    _links: {
      self: href(`${api}/pulls/${pull.number}`),
      html: href(pull.htmlUrl),
      issue: href(issue),
      comments: href(`${issue}/comments`),
      review_comments: href(`${api}/pulls/${pull.number}/comments`),
      review_comment: href(`${api}/pulls/comments{/number}`),
      commits: href(`${api}/pulls/${pull.number}/commits`),
      statuses: href(`${api}/statuses/${headSha}`),
    },
    author_association: pull.user === repo.owner ? "OWNER" : "COLLABORATOR",
    auto_merge: null,
    draft: pull.draft,
  };
  if (!full) return simple;
  const stats = fresh?.stats ?? (await repo.git.diffStats(baseSha, headSha));
  return {
    ...simple,
    merged: pull.mergedAt !== null,
    // GitHub computes mergeability in the background: unknown right after creation (and once closed).
    mergeable: fresh || !open ? null : true,
    rebaseable: fresh || !open ? null : true,
    mergeable_state: fresh || !open ? "unknown" : pull.draft ? "draft" : "clean",
    merged_by: pull.mergedAt ? userJson(urls, repo.owner) : null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: pull.maintainerCanModify,
    commits: stats.commits,
    additions: stats.additions,
    deletions: stats.deletions,
    changed_files: stats.changedFiles,
  };
}

/** The head branch's commit now (a fork's fetched into the base repo first); undefined once deleted. */
export async function liveHead(world: GitHubWorld, repo: RepoRecord, pull: PullRecord) {
  if (pull.headOwner.toLowerCase() === repo.owner.toLowerCase())
    return repo.git.resolveRef(`refs/heads/${pull.head}`);
  const fork = world.repo(pull.headOwner, repo.name);
  const ref = `refs/pull/${pull.number}/head`;
  if (fork && (await fork.git.resolveRef(`refs/heads/${pull.head}`)))
    await repo.git
      .run(["fetch", "--quiet", "--no-write-fetch-head", fork.git.dir, `+refs/heads/${pull.head}:${ref}`])
      // Two reads of one PR at once race for the ref's lock: the winner's fetch has synced it.
      .catch(() => undefined);
  return repo.git.resolveRef(ref);
}

/** `branch` or `owner:branch`: the branch and the repository holding it (this one, or its fork). */
function headOf(ctx: RouteContext, head: string): { branch: string; source: RepoRecord } {
  const colon = head.indexOf(":");
  if (colon < 0) return { branch: head, source: ctx.repo };
  const owner = head.slice(0, colon);
  const branch = head.slice(colon + 1);
  if (owner.toLowerCase() === ctx.repo.owner.toLowerCase()) return { branch, source: ctx.repo };
  const fork = ctx.world.repo(owner, ctx.repo.name);
  if (!fork || fork.parent !== ctx.repo) throw validationFailed("PullRequest", "head");
  return { branch, source: fork };
}

const createPull: Route = {
  method: "POST",
  template: "/repos/{owner}/{repo}/pulls",
  async handle(ctx) {
    const input = asObject(ctx.body);
    const { title, body = null, draft = false, maintainer_can_modify: canModify = true } = input;
    if (typeof title !== "string" || title.trim() === "")
      throw validationFailed("PullRequest", "title", "missing_field");
    if (typeof input.head !== "string") throw validationFailed("PullRequest", "head", "missing_field");
    if (typeof input.base !== "string") throw validationFailed("PullRequest", "base", "missing_field");
    if (draft === true && !ctx.repo.draftsSupported) {
      throw customError("Draft pull requests are not supported in this repository.");
    }
    const { branch: head, source } = headOf(ctx, input.head);
    const base = input.base;
    const git = ctx.repo.git;
    const baseSha = await git.resolveRef(`refs/heads/${base}`);
    if (!baseSha) throw validationFailed("PullRequest", "base");
    let headSha = await source.git.resolveRef(`refs/heads/${head}`);
    if (!headSha) throw validationFailed("PullRequest", "head");
    const label = `${source.owner}:${head}`;
    const number = ctx.repo.nextNumber;
    if (source !== ctx.repo) {
      // The fork's commits come into the base repository under the pull request's own ref.
      await git.run(["fetch", "--quiet", source.git.dir, `+refs/heads/${head}:refs/pull/${number}/head`]);
      headSha = (await git.resolveRef(`refs/pull/${number}/head`)) ?? headSha;
    }
    const existing = ctx.world.pulls.find(
      (p) =>
        p.owner === ctx.repo.owner &&
        p.repo === ctx.repo.name &&
        p.head === head &&
        p.headOwner === source.owner &&
        p.base === base &&
        p.state === "open",
    );
    if (existing) throw customError(`A pull request already exists for ${label}.`);
    const stats = await git.diffStats(baseSha, headSha);
    if (stats.commits === 0) throw customError(`No commits between ${base} and ${head}`);
    ctx.repo.nextNumber++;
    const now = isoSeconds(new Date());
    const pull: PullRecord = {
      owner: ctx.repo.owner,
      repo: ctx.repo.name,
      number,
      id: stableId("pull", `${ctx.repo.owner}/${ctx.repo.name}#${number}`),
      title,
      body: typeof body === "string" ? body : null,
      head,
      headOwner: source.owner,
      base,
      headSha,
      baseSha,
      draft: draft === true,
      state: "open",
      closedAt: null,
      mergedAt: null,
      mergeCommitSha: null,
      user: ctx.world.login,
      maintainerCanModify: canModify !== false,
      createdAt: now,
      updatedAt: now,
      htmlUrl: `${ctx.world.urls.web}/${ctx.repo.owner}/${ctx.repo.name}/pull/${number}`,
    };
    ctx.world.pulls.push(pull);
    const json = await pullJson(ctx, pull, true, { headSha, baseSha, stats });
    return { status: 201, body: json, headers: { location: json.url } };
  },
};

export function customError(message: string): GitHubError {
  return new GitHubError(422, "Validation Failed", [{ resource: "PullRequest", code: "custom", message }]);
}

export function pullsOf(ctx: RouteContext): PullRecord[] {
  return ctx.world.pulls.filter((p) => p.owner === ctx.repo.owner && p.repo === ctx.repo.name);
}

const getPull: Route = {
  method: "GET",
  template: "/repos/{owner}/{repo}/pulls/{pull_number}",
  async handle(ctx) {
    const pull = pullsOf(ctx).find((p) => String(p.number) === ctx.params.pull_number);
    if (!pull) throw new GitHubError(404, "Not Found");
    return { status: 200, body: await pullJson(ctx, pull, true) };
  },
};

const listPulls: Route = {
  method: "GET",
  template: "/repos/{owner}/{repo}/pulls",
  async handle(ctx) {
    const state = ctx.query.get("state") ?? "open";
    const head = ctx.query.get("head");
    const base = ctx.query.get("base");
    const matches = pullsOf(ctx)
      .filter((p) => state === "all" || p.state === state)
      .filter((p) => !head || `${p.headOwner}:${p.head}`.toLowerCase() === head.toLowerCase())
      .filter((p) => !base || p.base === base)
      .sort((a, b) => b.number - a.number);
    return { status: 200, body: await Promise.all(matches.map((p) => pullJson(ctx, p, false))) };
  },
};

export const pullRoutes: Route[] = [createPull, getPull, listPulls];
