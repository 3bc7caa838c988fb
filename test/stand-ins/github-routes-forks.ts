// Forks on the GitHub stand-in: `repos.createFork` (202; the fork is a real bare repo under the
// token's user, ready after `forkDelay` reads) and `repos.mergeUpstream` (fast-forwards a fork's
// branch to its parent's, 409 when they diverged). Cross-repository PR heads live in github-pulls.ts.
import { repoJson } from "./github-objects";
import { asObject, GitHubError, type Route } from "./github-route";

const createFork: Route = {
  method: "POST",
  template: "/repos/{owner}/{repo}/forks",
  async handle(ctx) {
    if (ctx.repo.owner.toLowerCase() === ctx.world.login.toLowerCase()) {
      throw new GitHubError(422, "Validation Failed", [
        { resource: "Repository", code: "custom", message: "You cannot fork your own repository." },
      ]);
    }
    const fork = await ctx.world.forkRepo(ctx.repo);
    return { status: 202, body: repoJson(ctx.world.urls, fork) };
  },
};

const mergeUpstream: Route = {
  method: "POST",
  template: "/repos/{owner}/{repo}/merge-upstream",
  async handle(ctx) {
    const parent = ctx.repo.parent;
    const branch = asObject(ctx.body).branch;
    if (!parent || typeof branch !== "string") throw new GitHubError(422, "Validation Failed");
    const git = ctx.repo.git;
    const upstream = await ctx.world.repo(parent.owner, parent.name)?.git.resolveRef(`refs/heads/${branch}`);
    const mine = await git.resolveRef(`refs/heads/${branch}`);
    if (!upstream || !mine) throw new GitHubError(404, "Branch not found");
    const base = { message: "", merge_type: "none" as string, base_branch: `${parent.owner}:${branch}` };
    if (upstream === mine) {
      return { status: 200, body: { ...base, message: "This branch is not behind the upstream." } };
    }
    const parentDir = ctx.world.repo(parent.owner, parent.name)?.git.dir ?? "";
    await git.run(["fetch", "--quiet", parentDir, `refs/heads/${branch}`]);
    const fastForward = await git
      .run(["merge-base", "--is-ancestor", mine, upstream])
      .then(() => true)
      .catch(() => false);
    if (!fastForward) throw new GitHubError(409, "There are merge conflicts");
    await git.run(["update-ref", `refs/heads/${branch}`, upstream, mine]);
    const message = `Successfully fetched and fast-forwarded from upstream ${parent.owner}:${branch}.`;
    return { status: 200, body: { ...base, message, merge_type: "fast-forward" } };
  },
};

export const forkRoutes: Route[] = [createFork, mergeUpstream];
