// The GitHub stand-in's pull request updates and commit comparisons, driven by the real
// @octokit/rest and checked against GitHub's OpenAPI description: pulls.update with GitHub's 422s,
// closed and merged pulls, and compare's commits, counts, status and files.
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitHubStandIn, startGitHubStandIn } from "./github";

// Octokit logs every 4xx; the ones here are expected and asserted.
const log = { debug() {}, info() {}, warn() {}, error() {} };
let gh: GitHubStandIn;
let octokit: Octokit;

beforeAll(async () => {
  gh = await startGitHubStandIn();
  octokit = new Octokit({ auth: gh.token, baseUrl: gh.apiUrl, log });
});
afterAll(() => gh.close());

/** GitHub's answer to a refused call: its status and its `errors[].message`s (or `message`). */
async function refusal(promise: Promise<unknown>) {
  return promise.then(
    () => null,
    (e: { status: number; response: { data: { message: string; errors?: { message?: string }[] } } }) => ({
      status: e.status,
      said: e.response.data.errors?.map((x) => x.message ?? x).join() || e.response.data.message,
    }),
  );
}

async function repoWithPull(name: string) {
  const where = { owner: "acme", repo: name };
  await gh.createRepo(where.owner, where.repo, { "a.txt": "a\n" });
  await gh.git(where.owner, where.repo, "branch", "feature/x", "main");
  await gh.git(where.owner, where.repo, "branch", "release", "main");
  const head = await gh.pushCommit(where.owner, where.repo, "feature/x", { "b.txt": "b\n" }, "Add b");
  const { data } = await octokit.rest.pulls.create({
    ...where,
    title: "T",
    body: "B",
    head: "feature/x",
    base: "main",
  });
  return { where, head, pull_number: data.number };
}

describe("pulls.update", () => {
  it("changes title, body and base, and refuses what GitHub refuses", async () => {
    const { where, pull_number } = await repoWithPull("upd");
    const { data } = await octokit.rest.pulls.update({ ...where, pull_number, title: "T2", body: "B2" });
    expect(data).toMatchObject({ title: "T2", body: "B2", state: "open", merged: false });
    expect((await octokit.rest.pulls.update({ ...where, pull_number, base: "release" })).data.base.ref).toBe(
      "release",
    );
    expect(await refusal(octokit.rest.pulls.update({ ...where, pull_number, title: " " }))).toMatchObject({
      status: 422,
    });
    expect(await refusal(octokit.rest.pulls.update({ ...where, pull_number, base: "nope" }))).toEqual({
      status: 422,
      said: "Proposed base branch 'nope' was not found",
    });
    expect(await refusal(octokit.rest.pulls.update({ ...where, pull_number: 42, body: "x" }))).toMatchObject({
      status: 404,
    });
    expect(gh.violations).toEqual([]);
    // A state GitHub's schema does not have is refused before the route, and recorded.
    const bad = octokit.request("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", {
      ...where,
      pull_number,
      state: "merged" as "closed", // not a state GitHub has: the point of the call
    });
    expect(await refusal(bad)).toMatchObject({ status: 422 });
    expect(gh.violations.splice(0)).toMatchObject([{ kind: "request", operationId: "pulls/update" }]);
  });

  it("closes, keeps a closed PR's head, edits its text but not its base, and reopens it", async () => {
    const { where, head, pull_number } = await repoWithPull("close");
    const { data: closed } = await octokit.rest.pulls.update({ ...where, pull_number, state: "closed" });
    expect(closed).toMatchObject({ state: "closed", merged: false, merged_at: null, head: { sha: head } });
    expect(closed.closed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const later = await gh.pushCommit(where.owner, where.repo, "feature/x", { "c.txt": "c\n" }, "Add c");
    const { data: renamed } = await octokit.rest.pulls.update({
      ...where,
      pull_number,
      title: "Closed but renamed",
    });
    expect(renamed).toMatchObject({ state: "closed", title: "Closed but renamed", head: { sha: head } });
    const base = "Cannot change the base branch of a closed pull request.";
    expect(await refusal(octokit.rest.pulls.update({ ...where, pull_number, base: "release" }))).toEqual({
      status: 422,
      said: base,
    });
    const reopenWithBase = octokit.rest.pulls.update({ ...where, pull_number, state: "open", base: "main" });
    expect(await refusal(reopenWithBase)).toEqual({ status: 422, said: base });
    const { data: reopened } = await octokit.rest.pulls.update({ ...where, pull_number, state: "open" });
    expect(reopened).toMatchObject({ state: "open", closed_at: null, head: { sha: later } });
    expect(gh.violations).toEqual([]);
  });

  it("merges for real, and a merged PR cannot be reopened", async () => {
    const { where, head, pull_number } = await repoWithPull("merge");
    const main = (await gh.git(where.owner, where.repo, "rev-parse", "main")).trim();
    await gh.closePull(where.owner, where.repo, pull_number, { merged: true });
    const { data } = await octokit.rest.pulls.get({ ...where, pull_number });
    expect(data).toMatchObject({ state: "closed", merged: true, head: { sha: head }, base: { sha: main } });
    expect(data.merged_at).toBe(data.closed_at);
    expect(data).toMatchObject({ commits: 1, changed_files: 1 });
    const merge = await gh.git(where.owner, where.repo, "cat-file", "commit", data.merge_commit_sha ?? "");
    expect(merge).toContain(`parent ${main}\nparent ${head}\n`);
    expect((await gh.git(where.owner, where.repo, "rev-parse", "main")).trim()).toBe(data.merge_commit_sha);
    expect(await refusal(octokit.rest.pulls.update({ ...where, pull_number, state: "open" }))).toEqual({
      status: 422,
      said: "state cannot be changed. The pull request cannot be reopened.",
    });
    expect(gh.violations).toEqual([]);
  });

  it("refuses to reopen a PR whose branch has another open PR", async () => {
    const { where, pull_number } = await repoWithPull("twin");
    await octokit.rest.pulls.update({ ...where, pull_number, state: "closed" });
    await octokit.rest.pulls.create({ ...where, title: "Again", head: "feature/x", base: "main" });
    expect(await refusal(octokit.rest.pulls.update({ ...where, pull_number, state: "open" }))).toEqual({
      status: 422,
      said: "A pull request already exists for acme:feature/x.",
    });
    expect(gh.violations).toEqual([]);
  });
});

describe("repos.compareCommitsWithBasehead", () => {
  it("lists the commits and files from the merge base, with GitHub's statuses", async () => {
    const where = { owner: "acme", repo: "cmp" };
    const base = await gh.createRepo(where.owner, where.repo, {
      "keep.txt": "k\n",
      "gone.txt": "g\n",
      "old/name.txt": "a long enough file to be detected as a rename\n".repeat(5),
      "run.sh": "echo\n",
    });
    await gh.git(where.owner, where.repo, "branch", "topic/one", "main");
    const one = await gh.pushCommit(
      where.owner,
      where.repo,
      "topic/one",
      { "gone.txt": null, "keep.txt": "k2\nmore\n" },
      "One",
    );
    // A rename and a mode change, written with the Git Data API.
    const { data: c1 } = await octokit.rest.git.getCommit({ ...where, commit_sha: one });
    const { data: tree } = await octokit.rest.git.getTree({
      ...where,
      tree_sha: c1.tree.sha,
      recursive: "1",
    });
    const entry = (path: string) => tree.tree.find((e) => e.path === path)?.sha ?? "";
    const { data: t2 } = await octokit.rest.git.createTree({
      ...where,
      base_tree: c1.tree.sha,
      tree: [
        { path: "old/name.txt", mode: "100644", type: "blob", sha: null },
        { path: "new/name.txt", mode: "100644", type: "blob", sha: entry("old/name.txt") },
        { path: "run.sh", mode: "100755", type: "blob", sha: entry("run.sh") },
        { path: "added.txt", mode: "100644", type: "blob", content: "n\n" },
      ],
    });
    const { data: two } = await octokit.rest.git.createCommit({
      ...where,
      message: "Two",
      tree: t2.sha,
      parents: [one],
    });
    await octokit.rest.git.updateRef({ ...where, ref: "heads/topic/one", sha: two.sha });

    const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
      ...where,
      basehead: "main...topic/one",
    });
    expect(data).toMatchObject({ status: "ahead", ahead_by: 2, behind_by: 0, total_commits: 2 });
    expect(data.merge_base_commit.sha).toBe(base);
    expect(data.base_commit.sha).toBe(base);
    expect(data.commits.map((c) => [c.sha, c.commit.message])).toEqual([
      [one, "One"],
      [two.sha, "Two"],
    ]);
    const files = Object.fromEntries(
      (data.files ?? []).map((f) => [f.filename, [f.status, f.additions, f.deletions, f.previous_filename]]),
    );
    expect(files).toEqual({
      "added.txt": ["added", 1, 0, undefined],
      "gone.txt": ["removed", 0, 1, undefined],
      "keep.txt": ["modified", 2, 1, undefined],
      "new/name.txt": ["renamed", 0, 0, "old/name.txt"],
      "run.sh": ["modified", 0, 0, undefined],
    });
    const byName = new Map((data.files ?? []).map((f) => [f.filename, f]));
    expect(byName.get("run.sh")?.sha).toBeNull();
    expect(byName.get("new/name.txt")?.sha).toBe(entry("old/name.txt"));
    // A removed file's blob id is the one it had.
    const removed = (await gh.git(where.owner, where.repo, "rev-parse", `${base}:gone.txt`)).trim();
    expect(byName.get("gone.txt")?.sha).toBe(removed);

    const behind = await octokit.rest.repos.compareCommitsWithBasehead({
      ...where,
      basehead: `${two.sha}...${base}`,
    });
    expect(behind.data).toMatchObject({
      status: "behind",
      ahead_by: 0,
      behind_by: 2,
      commits: [],
      files: [],
    });
    const same = await octokit.rest.repos.compareCommitsWithBasehead({
      ...where,
      basehead: "acme:main...main",
    });
    expect(same.data).toMatchObject({ status: "identical", ahead_by: 0, behind_by: 0 });
    const side = await gh.pushCommit(where.owner, where.repo, "main", { "side.txt": "s\n" }, "Side");
    const diverged = await octokit.rest.repos.compareCommitsWithBasehead({
      ...where,
      basehead: `${side}...topic/one`,
    });
    expect(diverged.data).toMatchObject({ status: "diverged", ahead_by: 2, behind_by: 1 });
    expect(diverged.data.files?.map((f) => f.filename)).not.toContain("side.txt");
    for (const basehead of ["main...nope", "other:main...main"]) {
      expect(
        await refusal(octokit.rest.repos.compareCommitsWithBasehead({ ...where, basehead })),
      ).toMatchObject({
        status: 404,
      });
    }
    expect(gh.violations).toEqual([]);
  });
});
