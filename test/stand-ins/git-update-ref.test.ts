// The long-lived update-ref the GitHub stand-in moves refs with: each update checked as one
// `git update-ref` run checks it (must not exist, old value, object exists, a commit for a branch,
// no clash between `a` and `a/b`), a refusal answered false and the next update served anyway.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runGit } from "./git-cli";
import { emptyCommit } from "./git-test-commit";
import { RefUpdater } from "./git-update-ref";

describe("update-ref transactions", () => {
  let dir: string;
  let repo: string;
  let refs: RefUpdater;
  let one: string;
  let two: string;
  let blob: string;
  const git = (args: string[], input?: string) =>
    runGit(repo, args, { home: dir, input }).then((out) => out.toString("utf8").trim());
  const at = (ref: string) => git(["rev-parse", "--verify", "--quiet", ref]).catch(() => undefined);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "update-ref-"));
    repo = join(dir, "repo.git");
    await mkdir(repo);
    await git(["init", "--quiet", "--bare", repo]);
    one = await emptyCommit(repo, dir, "one");
    two = await emptyCommit(repo, dir, "two", one);
    blob = await git(["hash-object", "-w", "--stdin"], "not a commit\n");
    refs = new RefUpdater(repo, dir);
  });

  afterAll(async () => {
    await refs.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("creates a ref only where none is, and moves it only from the value expected", async () => {
    expect(await refs.update("refs/heads/topic", one, "")).toBe(true);
    expect(await at("refs/heads/topic")).toBe(one);
    expect(await refs.update("refs/heads/topic", two, "")).toBe(false);
    expect(await refs.update("refs/heads/topic", two, two)).toBe(false);
    expect(await at("refs/heads/topic")).toBe(one);
    expect(await refs.update("refs/heads/topic", two, one)).toBe(true);
    expect(await refs.update("refs/heads/topic", one)).toBe(true);
    expect(await at("refs/heads/topic")).toBe(one);
  });

  it("refuses what git refuses, then serves the next update", async () => {
    expect(await refs.update("refs/heads/topic/inner", one, "")).toBe(false);
    expect(await refs.update("refs/heads/blob", blob, "")).toBe(false);
    expect(await refs.update("refs/heads/gone", "1".repeat(40), "")).toBe(false);
    expect(await refs.update("refs/heads/bad..name", one, "")).toBe(false);
    expect(await refs.update("refs/heads/nul\0x", one, "")).toBe(false);
    const results = await Promise.all([
      refs.update("refs/heads/p1", one, ""),
      refs.update("refs/heads/p1", two, ""),
      refs.update("refs/heads/p2", two, ""),
    ]);
    expect(results).toEqual([true, false, true]);
    expect([await at("refs/heads/p1"), await at("refs/heads/p2")]).toEqual([one, two]);
  });

  it("deletes a ref, loose or packed, and a missing one as git does (quietly)", async () => {
    await refs.delete("refs/heads/p2");
    expect(await at("refs/heads/p2")).toBeUndefined();
    await git(["pack-refs", "--all"]);
    await refs.delete("refs/heads/p1");
    expect(await at("refs/heads/p1")).toBeUndefined();
    await refs.delete("refs/heads/never");
    expect(await refs.update("refs/heads/p1", two, "")).toBe(true);
    expect(await at("refs/heads/p1")).toBe(two);
  });
});
