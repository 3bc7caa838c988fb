// Drives the GitHub stand-in with the real @octokit/rest through the whole publish flow (blobs →
// tree on base with a delete, an executable and a symlink → commit → branch → pull request), then
// checks the result with a real partial `git clone` over HTTP. Every exchange must match GitHub's
// OpenAPI description.
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, readlink, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitHubStandIn, startGitHubStandIn } from "./github";

const exec = promisify(execFile);
// Octokit logs every 4xx; the ones here are expected and asserted.
const log = { debug() {}, info() {}, warn() {}, error() {} };
let gh: GitHubStandIn;
let octokit: Octokit;
let scratch: string;

/** Runs the git client as a user would, with no host configuration. */
async function git(cwd: string, ...args: string[]): Promise<string> {
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: scratch,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
  };
  return (await exec("git", args, { cwd, env })).stdout;
}

function blobSha(content: Buffer): string {
  return createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");
}

async function statusOf(promise: Promise<unknown>): Promise<number | undefined> {
  return promise.then(
    () => undefined,
    (e: { status?: number }) => e.status,
  );
}

beforeAll(async () => {
  gh = await startGitHubStandIn();
  octokit = new Octokit({ auth: gh.token, baseUrl: gh.apiUrl, log });
  scratch = await mkdtemp(join(tmpdir(), "github-stand-in-test-"));
});
afterAll(async () => {
  await gh.close();
  await rm(scratch, { recursive: true, force: true });
});

describe("GitHub stand-in", () => {
  it("runs the publish flow with the real SDK and serves the branch to a partial clone", async () => {
    const owner = "acme";
    const repo = "api";
    const baseSha = await gh.createRepo(owner, repo, {
      "README.md": "# api\n",
      "src/index.ts": "export const x = 1;\n",
      "old.txt": "to be deleted\n",
      "scripts/run.sh": { content: "#!/bin/sh\necho run\n", mode: "100755" },
    });

    const { data: meta } = await octokit.rest.repos.get({ owner, repo });
    expect(meta).toMatchObject({ full_name: "acme/api", default_branch: "main", private: false });
    expect(meta.clone_url).toBe(`${gh.webUrl}/acme/api.git`);
    const { data: branch } = await octokit.rest.repos.getBranch({ owner, repo, branch: "main" });
    expect(branch.commit.sha).toBe(baseSha);
    const { data: ref } = await octokit.rest.git.getRef({ owner, repo, ref: "heads/main" });
    expect(ref.object.sha).toBe(baseSha);
    const { data: base } = await octokit.rest.git.getCommit({ owner, repo, commit_sha: baseSha });

    const text = "export const x = 2;\nexport const y = 3;\n";
    const binary = Buffer.concat([Buffer.from([0, 1, 2, 255, 254]), randomBytes(300)]);
    const { data: textBlob } = await octokit.rest.git.createBlob({
      owner,
      repo,
      content: text,
      encoding: "utf-8",
    });
    const { data: binBlob } = await octokit.rest.git.createBlob({
      owner,
      repo,
      content: binary.toString("base64"),
      encoding: "base64",
    });
    expect(textBlob.sha).toBe(blobSha(Buffer.from(text)));
    expect(binBlob.sha).toBe(blobSha(binary));

    const { data: tree } = await octokit.rest.git.createTree({
      owner,
      repo,
      base_tree: base.tree.sha,
      tree: [
        { path: "src/index.ts", mode: "100644", type: "blob", sha: textBlob.sha },
        { path: "assets/logo.bin", mode: "100644", type: "blob", sha: binBlob.sha },
        { path: "scripts/build.sh", mode: "100755", type: "blob", content: "#!/bin/sh\necho build\n" },
        { path: "docs/link.md", mode: "120000", type: "blob", content: "../README.md" },
        { path: "old.txt", mode: "100644", type: "blob", sha: null },
      ],
    });
    const { data: commit } = await octokit.rest.git.createCommit({
      owner,
      repo,
      message: "Bump x\n\nAnd add a few files.",
      tree: tree.sha,
      parents: [baseSha],
    });
    expect(commit.parents.map((p) => p.sha)).toEqual([baseSha]);
    expect(commit.author.name).toBe(gh.login);
    const branchName = "agent/bump-x-1234abcd";
    await octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branchName}`, sha: commit.sha });
    expect(
      await statusOf(
        octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branchName}`, sha: commit.sha }),
      ),
    ).toBe(422);

    const { data: pr } = await octokit.rest.pulls.create({
      owner,
      repo,
      title: "Bump x",
      body: "Summary",
      head: branchName,
      base: "main",
      draft: true,
    });
    expect(pr).toMatchObject({ number: 1, state: "open", draft: true, title: "Bump x" });
    expect(pr.html_url).toBe(`${gh.webUrl}/acme/api/pull/1`);
    expect(pr.head).toMatchObject({ ref: branchName, sha: commit.sha });
    expect(pr.base).toMatchObject({ ref: "main", sha: baseSha });
    expect(pr).toMatchObject({ changed_files: 5, commits: 1 });
    expect(gh.pulls).toHaveLength(1);
    const { data: listed } = await octokit.rest.pulls.list({
      owner,
      repo,
      head: `${owner}:${branchName}`,
      state: "open",
    });
    expect(listed.map((p) => p.number)).toEqual([1]);
    const { data: again } = await octokit.rest.pulls.get({ owner, repo, pull_number: 1 });
    expect(again.additions).toBe(pr.additions);
    expect(
      await statusOf(
        octokit.rest.pulls.create({ owner, repo, title: "dup", head: branchName, base: "main" }),
      ),
    ).toBe(422);

    const dir = join(scratch, "clone");
    await git(
      scratch,
      "clone",
      "--quiet",
      "--filter=blob:none",
      "--branch",
      branchName,
      `${gh.webUrl}/acme/api`,
      dir,
    );
    expect((await git(dir, "config", "remote.origin.partialclonefilter")).trim()).toBe("blob:none");
    expect(await readFile(join(dir, "src/index.ts"), "utf8")).toBe(text);
    expect(await readFile(join(dir, "assets/logo.bin"))).toEqual(binary);
    expect((await stat(join(dir, "scripts/build.sh"))).mode & 0o111).not.toBe(0);
    expect(await readlink(join(dir, "docs/link.md"))).toBe("../README.md");
    expect((await git(dir, "ls-files", "-s", "docs/link.md", "scripts/run.sh")).split("\n")[0]).toMatch(
      /^120000 /,
    );
    const diff = await git(dir, "diff", "--name-status", "origin/main", "HEAD");
    expect(diff.trim().split("\n").sort()).toEqual([
      "A\tassets/logo.bin",
      "A\tdocs/link.md",
      "A\tscripts/build.sh",
      "D\told.txt",
      "M\tsrc/index.ts",
    ]);
    expect(gh.violations).toEqual([]);
    expect(gh.calls.map((c) => c.operationId)).toContain("pulls/create");
  });

  it("moves refs fast-forward only unless forced", async () => {
    const first = await gh.createRepo("acme", "refs", { "a.txt": "a\n" });
    const tree = (await octokit.rest.git.getCommit({ owner: "acme", repo: "refs", commit_sha: first })).data
      .tree.sha;
    const orphan = await octokit.rest.git.createCommit({
      owner: "acme",
      repo: "refs",
      message: "orphan",
      tree,
      parents: [],
    });
    const update = (force: boolean) =>
      octokit.rest.git.updateRef({
        owner: "acme",
        repo: "refs",
        ref: "heads/main",
        sha: orphan.data.sha,
        force,
      });
    expect(await statusOf(update(false))).toBe(422);
    expect((await update(true)).data.object.sha).toBe(orphan.data.sha);
    expect((await gh.git("acme", "refs", "rev-parse", "main")).trim()).toBe(orphan.data.sha);
    expect(gh.violations).toEqual([]);
  });

  it("refuses a commit on a missing tree or parent and a ref to a missing object or taken name", async () => {
    const first = await gh.createRepo("acme", "refusals", { "a.txt": "a\n" });
    const where = { owner: "acme", repo: "refusals" };
    const { tree } = (await octokit.rest.git.getCommit({ ...where, commit_sha: first })).data;
    const blob = (await octokit.rest.git.createBlob({ ...where, content: "b\n" })).data.sha;
    const missing = "0".repeat(39).concat("1");
    const commit = (t: string, parents: string[]) =>
      octokit.rest.git.createCommit({ ...where, message: "m", tree: t, parents });
    expect(await statusOf(commit(missing, [first]))).toBe(422);
    expect(await statusOf(commit(blob, [first]))).toBe(422);
    expect(await statusOf(commit(tree.sha, [first, missing]))).toBe(422);
    expect(await statusOf(commit(tree.sha, [tree.sha]))).toBe(422);
    const made = (await commit(tree.sha, [first])).data;
    expect(made).toMatchObject({ tree: { sha: tree.sha }, parents: [{ sha: first }] });
    const ref = (sha: string) => octokit.rest.git.createRef({ ...where, ref: "refs/heads/topic", sha });
    expect(await statusOf(ref(missing))).toBe(422);
    expect((await ref(made.sha)).data.object).toMatchObject({ sha: made.sha, type: "commit" });
    expect(await statusOf(ref(made.sha))).toBe(422);
    expect(gh.violations).toEqual([]);
  });

  it("reads trees recursively and blobs back, grafts subtrees and deletes directories", async () => {
    const o = { owner: "acme", repo: "trees" };
    const head = await gh.createRepo(o.owner, o.repo, {
      "lib/a.ts": "a\n",
      "lib/deep/b.ts": "b\n",
      "top.txt": "t\n",
    });
    const { data: full } = await octokit.rest.git.getTree({ ...o, tree_sha: head, recursive: "1" });
    expect(full.tree.map((e) => `${e.mode} ${e.type} ${e.path}`)).toEqual([
      "040000 tree lib",
      "100644 blob lib/a.ts",
      "040000 tree lib/deep",
      "100644 blob lib/deep/b.ts",
      "100644 blob top.txt",
    ]);
    const lib = full.tree.find((e) => e.path === "lib");
    const top = full.tree.find((e) => e.path === "top.txt");
    const { data: blob } = await octokit.rest.git.getBlob({ ...o, file_sha: top?.sha ?? "" });
    expect(Buffer.from(blob.content, "base64").toString()).toBe("t\n");
    expect(blob.size).toBe(2);
    const { data: tree } = await octokit.rest.git.createTree({
      ...o,
      base_tree: full.sha,
      tree: [
        { path: "lib", mode: "100644", type: "blob", sha: null },
        { path: "vendor/lib", mode: "040000", type: "tree", sha: lib?.sha ?? "" },
      ],
    });
    const { data: after } = await octokit.rest.git.getTree({ ...o, tree_sha: tree.sha, recursive: "true" });
    expect(after.tree.filter((e) => e.type === "blob").map((e) => e.path)).toEqual([
      "top.txt",
      "vendor/lib/a.ts",
      "vendor/lib/deep/b.ts",
    ]);
    expect(gh.violations).toEqual([]);
  });

  it("takes tree entries with inline content as GitHub does, and refuses what GitHub refuses with 422", async () => {
    const o = { owner: "acme", repo: "inline" };
    const head = await gh.createRepo(o.owner, o.repo, { "a.txt": "a\n" });
    const { data: base } = await octokit.rest.git.getCommit({ ...o, commit_sha: head });
    const text = "\ufeffcafé\r\n";
    const { data: tree } = await octokit.rest.git.createTree({
      ...o,
      base_tree: base.tree.sha,
      tree: [{ path: "t/x.txt", mode: "100644", type: "blob", content: text }],
    });
    const { data: listed } = await octokit.rest.git.getTree({ ...o, tree_sha: tree.sha, recursive: "1" });
    expect(listed.tree.find((e) => e.path === "t/x.txt")?.sha).toBe(blobSha(Buffer.from(text, "utf8")));
    const refused = async (entry: Record<string, unknown>) => {
      const status = await octokit
        .request("POST /repos/{owner}/{repo}/git/trees", { ...o, base_tree: base.tree.sha, tree: [entry] })
        .then(
          (r) => r.status,
          (e: { status: number }) => e.status,
        );
      return status;
    };
    const sha = blobSha(Buffer.from("a\n"));
    expect(await refused({ path: "b", mode: "100644", type: "blob", sha, content: "x" })).toBe(422);
    expect(await refused({ path: "b", mode: "100644", type: "blob" })).toBe(422);
    expect(await refused({ path: "b", mode: "040000", type: "tree", content: "x" })).toBe(422);
    expect(await refused({ path: "../b", mode: "100644", type: "blob", content: "x" })).toBe(422);
    // A mode or content type outside GitHub's schema is a 422 too, recorded as the SDK's violation.
    expect(await refused({ path: "b", mode: "100600", type: "blob", content: "x" })).toBe(422);
    expect(await refused({ path: "b", mode: "100644", type: "blob", content: 5 })).toBe(422);
    expect(gh.violations.splice(0).map((v) => v.errors.join())).toEqual([
      expect.stringMatching(/mode must be equal to one of the allowed values/),
      expect.stringMatching(/content must be string/),
    ]);
  });

  it("answers 404 for unknown repos, 401 for a wrong token or an anonymous write, in GitHub's shape", async () => {
    const missing = await octokit.rest.repos.get({ owner: "acme", repo: "nope" }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ name: "HttpError", status: 404 });
    expect((missing as { response: { data: unknown } }).response.data).toMatchObject({
      message: "Not Found",
    });
    const anonymous = new Octokit({ baseUrl: gh.apiUrl, log });
    // Public repositories are readable without a token, as on GitHub; writes are not.
    expect(await statusOf(anonymous.rest.repos.get({ owner: "acme", repo: "api" }))).toBeUndefined();
    const write = anonymous.rest.git.createBlob({ owner: "acme", repo: "api", content: "x" });
    expect(await statusOf(write)).toBe(401);
    const wrong = new Octokit({ auth: "ghp_wrong", baseUrl: gh.apiUrl, log });
    expect(await statusOf(wrong.rest.repos.get({ owner: "acme", repo: "api" }))).toBe(401);
    expect(gh.violations).toEqual([]);
  });

  it("asks for credentials to clone a private repo", async () => {
    await gh.createRepo("acme", "secret", { "s.txt": "s\n" }, { private: true, defaultBranch: "trunk" });
    const url = new URL(`${gh.webUrl}/acme/secret.git`);
    await expect(git(scratch, "clone", "--quiet", url.href, join(scratch, "denied"))).rejects.toThrow();
    url.username = "x-access-token";
    url.password = gh.token;
    await git(scratch, "clone", "--quiet", url.href, join(scratch, "allowed"));
    expect(await readFile(join(scratch, "allowed", "s.txt"), "utf8")).toBe("s\n");
    expect((await git(join(scratch, "allowed"), "branch", "--show-current")).trim()).toBe("trunk");
  });
});
