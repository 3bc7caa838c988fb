// Repository and branch routes of the GitHub stand-in: the repository object (default branch,
// clone URL) and a branch with its head commit, read live from the bare repo.
import { commitJson, repoJson } from "./github-objects";
import { GitHubError, type Route } from "./github-route";

const getRepo: Route = {
  method: "GET",
  template: "/repos/{owner}/{repo}",
  async handle(ctx) {
    // A fork GitHub is still creating is not there yet.
    if (ctx.world.stillForking(ctx.repo)) throw new GitHubError(404, "Not Found");
    return { status: 200, body: repoJson(ctx.world.urls, ctx.repo) };
  },
};

const getBranch: Route = {
  method: "GET",
  template: "/repos/{owner}/{repo}/branches/{branch}",
  async handle(ctx) {
    const name = ctx.params.branch ?? "";
    const sha = await ctx.repo.git.resolveRef(`refs/heads/${name}`);
    if (!sha) throw new GitHubError(404, "Branch not found");
    const { urls } = ctx.world;
    const api = `${urls.api}/repos/${ctx.repo.owner}/${ctx.repo.name}`;
    const protectionUrl = `${api}/branches/${encodeURIComponent(name)}/protection`;
    return {
      status: 200,
      body: {
        name,
        commit: commitJson(urls, ctx.repo, await ctx.repo.git.readCommit(sha)),
        _links: {
          self: `${api}/branches/${encodeURIComponent(name)}`,
          html: `${urls.web}/${ctx.repo.owner}/${ctx.repo.name}/tree/${name}`,
        },
        protected: false,
        protection: {
          enabled: false,
          required_status_checks: { enforcement_level: "off", contexts: [], checks: [] },
        },
        protection_url: protectionUrl,
      },
    };
  },
};

export const repoRoutes: Route[] = [getRepo, getBranch];
