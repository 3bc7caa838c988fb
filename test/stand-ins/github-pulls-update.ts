// Changing a pull request on the GitHub stand-in: `pulls.update` (title, body, state, base,
// maintainer_can_modify) with GitHub's 422s, and closing or merging it (a real merge commit on the
// base branch). A closed PR keeps the head and base it closed on; an open one follows its branch,
// a fork's head fetched into `refs/pull/N/head` as GitHub does on every push.
import { GitError } from "./git-cli";
import { isoSeconds } from "./github-git";
import { customError, liveHead, pullJson, pullsOf } from "./github-pulls";
import { asObject, GitHubError, type Route, validationFailed } from "./github-route";
import type { GitHubWorld, PullRecord, RepoRecord } from "./github-state";

/** Closes `pull`, or with `merged` merges its head into its base first (refused on a conflict). */
export async function closePull(
  world: GitHubWorld,
  repo: RepoRecord,
  pull: PullRecord,
  merged = false,
): Promise<void> {
  if (pull.state !== "open") throw new Error(`pull request #${pull.number} is not open`);
  const head = (await liveHead(world, repo, pull)) ?? pull.headSha;
  const base = (await repo.git.resolveRef(`refs/heads/${pull.base}`)) ?? pull.baseSha;
  const now = isoSeconds(new Date());
  if (merged) {
    const tree = await repo.git.text(["merge-tree", "--write-tree", base, head]).catch((error) => {
      if (error instanceof GitError && error.exitCode === 1)
        throw new Error(`pull request #${pull.number} does not merge cleanly`);
      throw error;
    });
    const who = { name: world.login, email: `${world.login}@users.noreply.invalid`, date: now };
    const sha = await repo.git.commitTree({
      tree: tree.split("\n")[0] ?? "",
      parents: [base, head],
      message: `Merge pull request #${pull.number} from ${pull.headOwner}/${pull.head}\n\n${pull.title}\n`,
      author: who,
      committer: who,
    });
    if (!(await repo.git.setRef(`refs/heads/${pull.base}`, sha, base)))
      throw new Error(`${pull.base} moved while #${pull.number} was merged`);
    pull.mergedAt = now;
    pull.mergeCommitSha = sha;
  }
  Object.assign(pull, { state: "closed", closedAt: now, updatedAt: now, headSha: head, baseSha: base });
}

const updatePull: Route = {
  method: "PATCH",
  template: "/repos/{owner}/{repo}/pulls/{pull_number}",
  async handle(ctx) {
    const pull = pullsOf(ctx).find((p) => String(p.number) === ctx.params.pull_number);
    if (!pull) throw new GitHubError(404, "Not Found");
    const input = asObject(ctx.body);
    const { title, body, state, base } = input;
    const canModify = input.maintainer_can_modify;
    // Types and the state's values are the OpenAPI check's (a 422 before this runs).
    if (typeof title === "string" && title.trim() === "")
      throw validationFailed("PullRequest", "title", "missing_field");
    const closedAfter = state === "closed" || (pull.state === "closed" && state !== "open");
    if (typeof base === "string") {
      if (pull.state === "closed" || closedAfter) {
        const message = "Cannot change the base branch of a closed pull request.";
        throw validationFailed("PullRequest", "base", "invalid", message);
      }
      if (!(await ctx.repo.git.resolveRef(`refs/heads/${base}`)))
        throw validationFailed(
          "PullRequest",
          "base",
          "invalid",
          `Proposed base branch '${base}' was not found`,
        );
    }
    if (state === "open" && pull.state === "closed") {
      const headGone = !(await ctx.world
        .repo(pull.headOwner, ctx.repo.name)
        ?.git.resolveRef(`refs/heads/${pull.head}`));
      if (pull.mergedAt || headGone) {
        const message = "state cannot be changed. The pull request cannot be reopened.";
        throw validationFailed("PullRequest", "state", "invalid", message);
      }
      const twin = pullsOf(ctx).find(
        (p) => p !== pull && p.state === "open" && p.head === pull.head && p.headOwner === pull.headOwner,
      );
      if (twin && twin.base === pull.base)
        throw customError(`A pull request already exists for ${pull.headOwner}:${pull.head}.`);
    }
    if (typeof title === "string") pull.title = title;
    if (typeof body === "string") pull.body = body;
    if (typeof base === "string") pull.base = base;
    if (typeof canModify === "boolean") pull.maintainerCanModify = canModify;
    pull.updatedAt = isoSeconds(new Date());
    if (state === "closed" && pull.state === "open") await closePull(ctx.world, ctx.repo, pull);
    if (state === "open" && pull.state === "closed") Object.assign(pull, { state: "open", closedAt: null });
    return { status: 200, body: await pullJson(ctx, pull, true) };
  },
};

export const pullUpdateRoutes: Route[] = [updatePull];
