// The Git Data API routes of the GitHub stand-in (blobs, trees, commits), implemented for real on
// the bare repo so blob, tree and commit ids are the ones GitHub would compute.
import { isoSeconds, type TreeChange } from "./github-git";
import { gitCommitJson, stableId } from "./github-objects";
import { asObject, GitHubError, type Route, type RouteContext, validationFailed } from "./github-route";

const SHA = /^[0-9a-f]{40}$/;

/** GitHub stores blobs of up to 100 MB through the API; larger ones are refused. */
export const MAX_BLOB_BYTES = 100 * 1024 * 1024;

function checkBlobSize(bytes: Buffer, path?: string): void {
  if (bytes.length > MAX_BLOB_BYTES) {
    const what = path ? `tree.content of ${path}` : "content";
    throw new GitHubError(422, `${what} is ${bytes.length} bytes, over GitHub's 100 MB blob limit`);
  }
}

function apiBase(ctx: RouteContext): string {
  return `${ctx.world.urls.api}/repos/${ctx.repo.owner}/${ctx.repo.name}`;
}

const createBlob: Route = {
  method: "POST",
  template: "/repos/{owner}/{repo}/git/blobs",
  async handle(ctx) {
    const { content, encoding = "utf-8" } = asObject(ctx.body);
    if (typeof content !== "string") throw validationFailed("Blob", "content", "missing_field");
    let bytes: Buffer;
    if (encoding === "base64") {
      const compact = content.replace(/\s+/g, "");
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) throw validationFailed("Blob", "content", "invalid");
      bytes = Buffer.from(compact, "base64");
    } else if (encoding === "utf-8" || encoding === "utf8") {
      bytes = Buffer.from(content, "utf8");
    } else {
      throw new GitHubError(422, `encoding must be either 'utf-8' or 'base64', got '${String(encoding)}'`);
    }
    checkBlobSize(bytes);
    const sha = await ctx.repo.git.writeBlob(bytes);
    const url = `${apiBase(ctx)}/git/blobs/${sha}`;
    return { status: 201, body: { sha, url }, headers: { location: url } };
  },
};

const getBlob: Route = {
  method: "GET",
  template: "/repos/{owner}/{repo}/git/blobs/{file_sha}",
  async handle(ctx) {
    const sha = ctx.params.file_sha ?? "";
    if ((await ctx.repo.git.objectType(sha)) !== "blob") throw new GitHubError(404, "Not Found");
    const bytes = await ctx.repo.git.readBlob(sha);
    const content = (bytes.toString("base64").match(/.{1,60}/g) ?? []).join("\n");
    const url = `${apiBase(ctx)}/git/blobs/${sha}`;
    return {
      status: 200,
      body: {
        sha,
        node_id: `B_${sha}`,
        size: bytes.length,
        url,
        content: `${content}\n`,
        encoding: "base64",
      },
    };
  },
};

function isEntryType(type: unknown): type is TreeChange["type"] {
  return type === "blob" || type === "tree" || type === "commit";
}

const MODES_BY_TYPE: Record<TreeChange["type"], string[]> = {
  blob: ["100644", "100755", "120000"],
  tree: ["040000"],
  commit: ["160000"],
};

type CheckedEntry = TreeChange | (Omit<TreeChange, "sha"> & { content: Buffer });

/**
 * Checks one `tree[]` entry the way GitHub does (`types`: what each object id given names); inline
 * content comes back as the bytes to store, once every entry has passed.
 */
function treeChange(entry: Record<string, unknown>, types: Map<string, string | undefined>): CheckedEntry {
  const { path, mode, type, sha, content } = entry;
  if (
    typeof path !== "string" ||
    path.split("/").some((s) => s === "" || s === "." || s === ".." || s === ".git")
  ) {
    throw new GitHubError(422, `tree.path contains a malformed path component: ${String(path)}`);
  }
  if (typeof mode !== "string" || !isEntryType(type) || !MODES_BY_TYPE[type].includes(mode)) {
    throw new GitHubError(
      422,
      `tree.mode ${String(mode)} does not match tree.type ${String(type)} for ${path}`,
    );
  }
  if (sha !== undefined && content !== undefined) {
    throw new GitHubError(
      422,
      "Must supply either tree.sha or tree.content. Request will be rejected if both are present.",
    );
  }
  if (typeof content === "string") {
    if (type !== "blob") throw new GitHubError(422, `tree.content is only allowed for blobs: ${path}`);
    const bytes = Buffer.from(content, "utf8");
    checkBlobSize(bytes, path);
    return { path, mode, type, content: bytes };
  }
  if (sha === null) return { path, mode, type, sha: null };
  if (typeof sha !== "string" || !SHA.test(sha)) {
    throw new GitHubError(
      422,
      "Must supply either tree.sha or tree.content. Request will be rejected if both are present.",
    );
  }
  if (type !== "commit" && types.get(sha) !== type) {
    throw new GitHubError(422, `tree.sha ${sha} is not a valid ${type}`);
  }
  return { path, mode, type, sha };
}

async function treeBody(ctx: RouteContext, sha: string, recursive: boolean) {
  const api = apiBase(ctx);
  const items = await ctx.repo.git.listTree(sha, recursive);
  return {
    sha,
    url: `${api}/git/trees/${sha}`,
    tree: items.map((item) => ({
      ...item,
      ...(item.type === "commit" ? {} : { url: `${api}/git/${item.type}s/${item.sha}` }),
    })),
    truncated: false,
  };
}

const createTree: Route = {
  method: "POST",
  template: "/repos/{owner}/{repo}/git/trees",
  async handle(ctx) {
    const { tree, base_tree: base } = asObject(ctx.body);
    if (!Array.isArray(tree)) throw validationFailed("Tree", "tree", "missing_field");
    const entries = tree.map(asObject);
    // Every object id the request names, looked up at once (the base tree's first).
    const named = [base, ...entries.map((e) => e.sha)].filter((s): s is string => typeof s === "string");
    const types = new Map<string, string | undefined>();
    const found = await ctx.repo.git.objectTypes(named);
    for (const [i, sha] of named.entries()) types.set(sha, found[i]);
    if (base !== undefined && (typeof base !== "string" || types.get(base) !== "tree")) {
      throw new GitHubError(422, "base_tree is not a valid tree oid");
    }
    const checked = entries.map((entry) => treeChange(entry, types));
    const changes: TreeChange[] = await Promise.all(
      checked.map(async (c) =>
        "content" in c
          ? { path: c.path, mode: c.mode, type: c.type, sha: await ctx.repo.git.writeBlob(c.content) }
          : c,
      ),
    );
    const sha = await ctx.repo.git.buildTree(base, changes);
    const body = await treeBody(ctx, sha, false);
    return { status: 201, body, headers: { location: body.url } };
  },
};

const getTree: Route = {
  method: "GET",
  template: "/repos/{owner}/{repo}/git/trees/{tree_sha}",
  async handle(ctx) {
    const wanted = ctx.params.tree_sha ?? "";
    // A leading dash would be an option to git; GitHub finds no such tree either.
    const sha = wanted.startsWith("-") ? undefined : await ctx.repo.git.resolveTree(wanted);
    if (!sha) throw new GitHubError(404, "Not Found");
    return { status: 200, body: await treeBody(ctx, sha, ctx.query.has("recursive")) };
  },
};

const getCommit: Route = {
  method: "GET",
  template: "/repos/{owner}/{repo}/git/commits/{commit_sha}",
  async handle(ctx) {
    const sha = ctx.params.commit_sha ?? "";
    if ((await ctx.repo.git.objectType(sha)) !== "commit") throw new GitHubError(404, "Not Found");
    return { status: 200, body: gitCommitJson(ctx.world.urls, ctx.repo, await ctx.repo.git.readCommit(sha)) };
  },
};

/** An author/committer input object as a git identity; undefined when absent. */
function identity(input: unknown, fallbackDate: string) {
  const o = asObject(input);
  if (typeof o.name !== "string" || typeof o.email !== "string") return undefined;
  const date = typeof o.date === "string" ? Date.parse(o.date) : Date.parse(fallbackDate);
  if (Number.isNaN(date)) throw validationFailed("Commit", "author.date", "invalid");
  return { name: o.name, email: o.email, date: isoSeconds(new Date(date)) };
}

const createCommit: Route = {
  method: "POST",
  template: "/repos/{owner}/{repo}/git/commits",
  async handle(ctx) {
    const { message, tree, parents = [], author, committer } = asObject(ctx.body);
    if (typeof message !== "string") throw validationFailed("Commit", "message", "missing_field");
    if (typeof tree !== "string") throw new GitHubError(422, "Tree SHA does not exist");
    // The tree and every parent checked in one git run, the tree's verdict first.
    const listed: unknown[] = Array.isArray(parents) ? parents : [];
    const ids = listed.filter((p): p is string => typeof p === "string");
    const [treeType, ...parentTypes] = await ctx.repo.git.objectTypes([tree, ...ids]);
    if (treeType !== "tree") throw new GitHubError(422, "Tree SHA does not exist");
    if (!Array.isArray(parents)) throw validationFailed("Commit", "parents", "invalid");
    if (ids.length !== listed.length || parentTypes.some((t) => t !== "commit"))
      throw new GitHubError(422, "Parent SHA does not exist or is not a commit object");
    const login = ctx.world.login;
    const now = isoSeconds(new Date());
    const self = {
      name: login,
      email: `${stableId("user", login)}+${login}@users.noreply.github.com`,
      date: now,
    };
    const who = identity(author, now) ?? self;
    const sha = await ctx.repo.git.commitTree({
      tree,
      parents: parents as string[],
      message,
      author: who,
      committer: identity(committer, now) ?? who,
    });
    const body = gitCommitJson(ctx.world.urls, ctx.repo, await ctx.repo.git.readCommit(sha));
    return { status: 201, body, headers: { location: body.url } };
  },
};

export const gitDataRoutes: Route[] = [createBlob, getBlob, createTree, getTree, getCommit, createCommit];
