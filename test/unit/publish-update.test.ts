// A follow-up's push to an existing PR branch and its PR update, with our real Octokit client
// against the GitHub stand-in: a fast-forward, a human commit on another path (rebased onto), one
// on the same path (refused, nothing pushed), a repeated push (the same commit), the title rule
// and a closed PR.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobError } from "../../src/worker/errors";
import { type GitHubClient, gitHubClient } from "../../src/worker/github/client";
import { pushTurn, type TurnChange } from "../../src/worker/github/publish-update";
import { pullState, updatePull } from "../../src/worker/github/pull-state";
import { type GitHubStandIn, startGitHubStandIn } from "../stand-ins/github";

// Octokit logs every 4xx; the ones here are expected and asserted.
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let gh: GitHubStandIn;
let octokit: GitHubClient;
let n = 0;

beforeAll(async () => {
  gh = await startGitHubStandIn();
  octokit = gitHubClient(
    { apiUrl: gh.apiUrl, writeIntervalMs: 0, maxRateLimitWaitSeconds: 0, log: quiet },
    gh.token,
  );
});
afterAll(() => gh.close());

const BRANCH = "agent/first-turn-1234abcd";

/** A repo with a PR whose branch holds the first turn's commit; resolves to where it is. */
async function pullRequest() {
  const where = { owner: "acme", repo: `turns-${++n}` };
  const base = await gh.createRepo(where.owner, where.repo, { "README.md": "# r\n", "src/a.ts": "a\n" });
  await gh.git(where.owner, where.repo, "branch", BRANCH, "main");
  const first = await gh.pushCommit(where.owner, where.repo, BRANCH, { "src/b.ts": "b\n" }, "First turn");
  const { data } = await octokit.rest.pulls.create({
    ...where,
    title: "First turn",
    body: "turn 1",
    head: BRANCH,
    base: "main",
  });
  return { where, base, first, number: data.number };
}

/** The turn's tree on `head`'s tree, as publishing builds it, with its changes. */
async function turn(
  where: { owner: string; repo: string },
  head: string,
  files: Record<string, string | null>,
) {
  const changes: TurnChange[] = [];
  for (const [path, content] of Object.entries(files)) {
    if (content === null) changes.push({ path, sha: null });
    else {
      const { data } = await octokit.rest.git.createBlob({ ...where, content });
      changes.push({ path, mode: "100644", sha: data.sha });
    }
  }
  const { data: commit } = await octokit.rest.git.getCommit({ ...where, commit_sha: head });
  const { data: tree } = await octokit.rest.git.createTree({
    ...where,
    base_tree: commit.tree.sha,
    tree: changes.map((c) => ({ ...c, mode: "mode" in c ? c.mode : "100644", type: "blob" as const })),
  });
  return { tree: tree.sha, changes };
}

const show = (where: { owner: string; repo: string }, rev: string) =>
  gh.git(where.owner, where.repo, "show", rev).catch(() => null);
const headOf = async (where: { owner: string; repo: string }) =>
  (await gh.git(where.owner, where.repo, "rev-parse", BRANCH)).trim();
const isAncestor = (where: { owner: string; repo: string }, a: string, b: string) =>
  gh.git(where.owner, where.repo, "merge-base", "--is-ancestor", a, b).then(
    () => true,
    () => false,
  );

describe("pushTurn", () => {
  it("adds one commit on the head the turn started from, as a fast-forward", async () => {
    const { where, first } = await pullRequest();
    const t = await turn(where, first, { "src/a.ts": "a2\n", "README.md": null });
    const input = {
      headRepo: where,
      branch: BRANCH,
      expectedHead: first,
      ...t,
      message: "Turn 2",
      jobId: "job-2",
    };
    const pushed = await pushTurn(octokit, input);
    expect(pushed).toMatchObject({ rebasedOnto: null, humanCommits: 0 });
    expect(await headOf(where)).toBe(pushed.sha);
    const commit = await gh.git(where.owner, where.repo, "cat-file", "commit", pushed.sha);
    expect(commit).toContain(`parent ${first}`);
    expect(commit).toMatch(/Turn 2\n\nAgent-Job: job-2\n$/);
    expect(await show(where, `${pushed.sha}:src/a.ts`)).toBe("a2\n");
    expect(await show(where, `${pushed.sha}:README.md`)).toBeNull();
    expect(gh.calls.filter((c) => c.operationId === "git/update-ref")).not.toHaveLength(0);
    expect(gh.violations).toEqual([]);
  });

  it("rebases onto a human commit on another path, keeping it", async () => {
    const { where, first } = await pullRequest();
    const t = await turn(where, first, { "src/a.ts": "a2\n", "README.md": null });
    const human = await gh.pushCommit(where.owner, where.repo, BRANCH, { "docs/x.md": "x\n" }, "Human edit");
    const pushed = await pushTurn(octokit, {
      headRepo: where,
      branch: BRANCH,
      expectedHead: first,
      ...t,
      message: "Turn 2",
      jobId: "job-r",
    });
    expect(pushed).toMatchObject({ rebasedOnto: human, humanCommits: 1 });
    expect(await headOf(where)).toBe(pushed.sha);
    expect(await isAncestor(where, human, pushed.sha)).toBe(true);
    expect(await gh.git(where.owner, where.repo, "cat-file", "commit", pushed.sha)).toContain(
      `parent ${human}`,
    );
    expect(await show(where, `${pushed.sha}:src/a.ts`)).toBe("a2\n");
    expect(await show(where, `${pushed.sha}:docs/x.md`)).toBe("x\n");
    expect(await show(where, `${pushed.sha}:src/b.ts`)).toBe("b\n");
    expect(await show(where, `${pushed.sha}:README.md`)).toBeNull();
    expect(gh.violations).toEqual([]);
  });

  it("refuses when a human commit changed a path the turn changed, and pushes nothing", async () => {
    const { where, first } = await pullRequest();
    const t = await turn(where, first, { "src/a.ts": "a2\n", "src/c.ts": "c\n" });
    const human = await gh.pushCommit(
      where.owner,
      where.repo,
      BRANCH,
      { "src/a.ts": "human\n" },
      "Human edit",
    );
    const refs = gh.calls.filter((c) => c.operationId === "git/update-ref").length;
    const error = await pushTurn(octokit, {
      headRepo: where,
      branch: BRANCH,
      expectedHead: first,
      ...t,
      message: "Turn 2",
      jobId: "job-c",
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobError);
    expect(error).toMatchObject({ code: "branch_moved" });
    expect((error as Error).message).toMatch(/src\/a\.ts/);
    expect((error as Error).message).not.toMatch(/src\/c\.ts/);
    expect((error as Error).message).toMatch(/nothing was pushed/);
    expect(await headOf(where)).toBe(human);
    // One refused fast-forward, no other ref write.
    expect(gh.calls.filter((c) => c.operationId === "git/update-ref").length).toBe(refs + 1);
    expect(gh.violations).toEqual([]);
  });

  it("answers a repeated push with the commit the earlier try made", async () => {
    const { where, first } = await pullRequest();
    const t = await turn(where, first, { "src/a.ts": "a2\n" });
    const input = {
      headRepo: where,
      branch: BRANCH,
      expectedHead: first,
      ...t,
      message: "Turn 2",
      jobId: "job-x",
    };
    const once = await pushTurn(octokit, input);
    // A human pushes on top before the retry: the retry still finds its own commit.
    const human = await gh.pushCommit(
      where.owner,
      where.repo,
      BRANCH,
      { "src/a.ts": "human\n" },
      "Human edit",
    );
    const again = await pushTurn(octokit, input);
    expect(again).toEqual(once);
    expect(await headOf(where)).toBe(human);
    const log = await gh.git(where.owner, where.repo, "rev-list", `${first}..${BRANCH}`);
    expect(log.trim().split("\n")).toEqual([human, once.sha]);
    expect(gh.violations).toEqual([]);
  });
});

describe("pushTurn when the branch keeps changing", () => {
  it("gives up after a bounded number of lost races, every human commit kept", async () => {
    const { where, first } = await pullRequest();
    const t = await turn(where, first, { "src/a.ts": "a2\n" });
    // A human pushes just before each of the turn's ref updates: every fast-forward then fails.
    const humans: string[] = [];
    const racing = gitHubClient(
      { apiUrl: gh.apiUrl, writeIntervalMs: 0, maxRateLimitWaitSeconds: 0, log: quiet },
      gh.token,
    );
    racing.hook.before("request", async (options) => {
      if (options.method === "PATCH" && String(options.url).includes("/git/refs/")) {
        const path = `human/${humans.length}.md`;
        humans.push(await gh.pushCommit(where.owner, where.repo, BRANCH, { [path]: "h\n" }, "Human"));
      }
    });
    const input = {
      headRepo: where,
      branch: BRANCH,
      expectedHead: first,
      ...t,
      message: "T",
      jobId: "job-k",
    };
    await expect(pushTurn(racing, input)).rejects.toMatchObject({
      code: "branch_moved",
      message: expect.stringMatching(/kept moving .*nothing was pushed/),
    });
    expect(humans).toHaveLength(4);
    expect(await headOf(where)).toBe(humans.at(-1));
    expect(gh.violations).toEqual([]);
  });

  it("refuses a branch rewritten under it (its start no longer on the branch)", async () => {
    const { where, base, first } = await pullRequest();
    const t = await turn(where, first, { "src/a.ts": "a2\n" });
    await gh.git(where.owner, where.repo, "update-ref", `refs/heads/${BRANCH}`, base);
    const rewritten = await gh.pushCommit(where.owner, where.repo, BRANCH, { "other.md": "o\n" }, "Rewrite");
    const input = {
      headRepo: where,
      branch: BRANCH,
      expectedHead: first,
      ...t,
      message: "T",
      jobId: "job-w",
    };
    await expect(pushTurn(octokit, input)).rejects.toMatchObject({
      code: "branch_moved",
      message: expect.stringMatching(/rewritten/),
    });
    expect(await headOf(where)).toBe(rewritten);
  });

  it("refuses a human rename of a file the turn changed", async () => {
    const { where, first } = await pullRequest();
    const t = await turn(where, first, { "src/b.ts": "b2\n" });
    await gh.pushCommit(where.owner, where.repo, BRANCH, { "src/b.ts": null, "lib/b.ts": "b\n" }, "Move b");
    const input = {
      headRepo: where,
      branch: BRANCH,
      expectedHead: first,
      ...t,
      message: "T",
      jobId: "job-m",
    };
    await expect(pushTurn(octokit, input)).rejects.toMatchObject({
      code: "branch_moved",
      message: expect.stringMatching(/src\/b\.ts/),
    });
  });

  it("ends with branch_deleted when the branch is gone", async () => {
    const { where, first } = await pullRequest();
    const t = await turn(where, first, { "src/a.ts": "a2\n" });
    await gh.git(where.owner, where.repo, "update-ref", "-d", `refs/heads/${BRANCH}`);
    const input = {
      headRepo: where,
      branch: BRANCH,
      expectedHead: first,
      ...t,
      message: "T",
      jobId: "job-d",
    };
    await expect(pushTurn(octokit, input)).rejects.toMatchObject({ code: "branch_deleted" });
  });
});

describe("updatePull", () => {
  it("keeps the title unless a new one is asked for, and reports the head", async () => {
    const { where, first, number } = await pullRequest();
    const kept = await updatePull(octokit, { repo: where, number, body: "turn 1\n\nturn 2" });
    expect(kept).toMatchObject({
      number,
      title: "First turn",
      updated: true,
      headSha: first,
      branch: BRANCH,
    });
    expect(kept.url).toBe(`${gh.webUrl}/${where.owner}/${where.repo}/pull/${number}`);
    const renamed = await updatePull(octokit, {
      repo: where,
      number,
      title: "Renamed",
      body: "b",
      headSha: "f".repeat(40),
    });
    expect(renamed).toMatchObject({ title: "Renamed", headSha: "f".repeat(40) });
    expect(await pullState(octokit, where, number)).toMatchObject({
      open: true,
      merged: false,
      title: "Renamed",
      body: "b",
      headRef: BRANCH,
      headSha: first,
      headRepo: `${where.owner}/${where.repo}`,
      baseRef: "main",
    });
    expect(gh.violations).toEqual([]);
  });

  it("ends with pr_closed on a closed or merged PR, and pr_not_found on a missing one", async () => {
    const closed = await pullRequest();
    await gh.closePull(closed.where.owner, closed.where.repo, closed.number);
    await expect(
      updatePull(octokit, { repo: closed.where, number: closed.number, body: "b" }),
    ).rejects.toMatchObject({
      code: "pr_closed",
      message: expect.stringMatching(/was closed/),
    });
    const merged = await pullRequest();
    await gh.closePull(merged.where.owner, merged.where.repo, merged.number, { merged: true });
    await expect(
      updatePull(octokit, { repo: merged.where, number: merged.number, body: "b" }),
    ).rejects.toMatchObject({
      code: "pr_closed",
      message: expect.stringMatching(/was merged/),
    });
    expect(await pullState(octokit, merged.where, merged.number)).toMatchObject({
      open: false,
      merged: true,
    });
    await expect(pullState(octokit, merged.where, 99)).rejects.toMatchObject({ code: "pr_not_found" });
    expect(gh.violations).toEqual([]);
  });
});
