// Git references on the GitHub stand-in: read, create (422 when it exists), move (fast-forward
// unless forced) and delete, with git update-ref on the bare repo.
import { gitRefJson } from "./github-objects";
import { asObject, GitHubError, type Route, type RouteContext } from "./github-route";

/** The object exactly the full ref name `full` points at (not peeled), or undefined. */
async function readRef(ctx: RouteContext, full: string): Promise<string | undefined> {
  if (!full.startsWith("refs/")) return undefined;
  return (await ctx.repo.git.text(["show-ref", "--verify", "--hash", full]).catch(() => "")) || undefined;
}

async function refBody(ctx: RouteContext, full: string, sha: string) {
  const type = (await ctx.repo.git.objectType(sha)) ?? "commit";
  return gitRefJson(ctx.world.urls, ctx.repo, full, sha, type);
}

const getRef: Route = {
  method: "GET",
  template: "/repos/{owner}/{repo}/git/ref/{ref}",
  async handle(ctx) {
    const full = `refs/${ctx.params.ref ?? ""}`;
    const sha = await readRef(ctx, full);
    if (!sha) throw new GitHubError(404, "Not Found");
    return { status: 200, body: await refBody(ctx, full, sha) };
  },
};

const listMatchingRefs: Route = {
  method: "GET",
  template: "/repos/{owner}/{repo}/git/matching-refs/{ref}",
  async handle(ctx) {
    const prefix = `refs/${ctx.params.ref ?? ""}`;
    const refs = (await ctx.repo.git.listRefs("refs/")).filter((r) => r.ref.startsWith(prefix));
    return { status: 200, body: await Promise.all(refs.map((r) => refBody(ctx, r.ref, r.sha))) };
  },
};

const createRef: Route = {
  method: "POST",
  template: "/repos/{owner}/{repo}/git/refs",
  async handle(ctx) {
    const { ref, sha } = asObject(ctx.body);
    if (typeof ref !== "string" || !ref.startsWith("refs/") || ref.split("/").length < 3) {
      throw new GitHubError(422, "Reference name must start with 'refs/' and have at least two slashes.");
    }
    if (!(await ctx.repo.git.isValidRefName(ref)))
      throw new GitHubError(422, `${ref} is not a valid ref name.`);
    const type = typeof sha === "string" ? await ctx.repo.git.objectType(sha) : undefined;
    if (typeof sha !== "string" || !type) throw new GitHubError(422, "Object does not exist");
    if (!(await ctx.repo.git.setRef(ref, sha, ""))) throw new GitHubError(422, "Reference already exists");
    // Objects never change type: the one just read is the ref's.
    const body = gitRefJson(ctx.world.urls, ctx.repo, ref, sha, type);
    return { status: 201, body, headers: { location: body.url } };
  },
};

const updateRef: Route = {
  method: "PATCH",
  template: "/repos/{owner}/{repo}/git/refs/{ref}",
  async handle(ctx) {
    const full = `refs/${ctx.params.ref ?? ""}`;
    const { sha, force = false } = asObject(ctx.body);
    const old = await readRef(ctx, full);
    if (!old) throw new GitHubError(422, "Reference does not exist");
    if (typeof sha !== "string" || !(await ctx.repo.git.objectType(sha))) {
      throw new GitHubError(422, "Object does not exist");
    }
    if (force !== true && !(await ctx.repo.git.isAncestor(old, sha))) {
      throw new GitHubError(422, "Update is not a fast forward");
    }
    if (!(await ctx.repo.git.setRef(full, sha, old))) throw new GitHubError(409, "Reference update conflict");
    return { status: 200, body: await refBody(ctx, full, sha) };
  },
};

const deleteRef: Route = {
  method: "DELETE",
  template: "/repos/{owner}/{repo}/git/refs/{ref}",
  async handle(ctx) {
    const full = `refs/${ctx.params.ref ?? ""}`;
    if (!(await readRef(ctx, full))) throw new GitHubError(422, "Reference does not exist");
    await ctx.repo.git.deleteRef(full);
    return { status: 204 };
  },
};

export const refRoutes: Route[] = [getRef, listMatchingRefs, createRef, updateRef, deleteRef];
