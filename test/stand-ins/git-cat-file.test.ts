// The long-lived cat-file the GitHub stand-in reads through: it must see what other git processes
// write after it started (loose objects, packs, refs moved, packed or deleted), answer unknown names
// as missing without losing its place, carry large objects whole, and leave no process behind.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CatFile } from "./git-cat-file";
import { runGit } from "./git-cli";
import { emptyCommit } from "./git-test-commit";

describe("cat-file reader", () => {
  let dir: string;
  let repo: string;
  let cat: CatFile;
  const git = (args: string[], input?: string | Buffer, cwd = repo) =>
    runGit(cwd, args, { home: dir, input }).then((out) => out.toString("utf8").trim());
  const commit = (message: string, parent?: string) => emptyCommit(repo, dir, message, parent);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "cat-file-"));
    repo = join(dir, "repo.git");
    await mkdir(repo);
    await git(["init", "--quiet", "--bare", repo]);
    cat = new CatFile(repo, dir);
  });

  afterAll(async () => {
    await cat.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("sees loose objects and packs written after it started", async () => {
    const sha = await git(["hash-object", "--stdin"], "later\n");
    expect(await cat.info(sha)).toBeUndefined();
    await git(["hash-object", "-w", "--stdin"], "later\n");
    expect(await cat.contents(sha)).toMatchObject({
      sha,
      type: "blob",
      size: 6,
      content: Buffer.from("later\n"),
    });
    // A pack from elsewhere, as a push leaves one.
    const other = join(dir, "other.git");
    await mkdir(other);
    await git(["init", "--quiet", "--bare", other], undefined, other);
    const packed = await git(["hash-object", "-w", "--stdin"], "packed\n", other);
    expect(await cat.info(packed)).toBeUndefined();
    await git(["pack-objects", "-q", join(repo, "objects", "pack", "pack")], `${packed}\n`, other);
    expect(await cat.info(packed)).toMatchObject({ sha: packed, type: "blob", size: 7 });
  });

  it("follows refs as they are created, moved, packed and deleted", async () => {
    const name = "refs/heads/topic^{commit}";
    expect(await cat.info(name)).toBeUndefined();
    const first = await commit("one");
    await git(["update-ref", "refs/heads/topic", first]);
    expect((await cat.info(name))?.sha).toBe(first);
    const second = await commit("two", first);
    await git(["update-ref", "refs/heads/topic", second]);
    await git(["pack-refs", "--all"]);
    expect((await cat.info(name))?.sha).toBe(second);
    const third = await commit("three", second);
    await git(["update-ref", "refs/heads/topic", third]);
    await git(["pack-refs", "--all"]);
    expect((await cat.info(name))?.sha).toBe(third);
    await git(["update-ref", "-d", "refs/heads/topic"]);
    expect(await cat.info(name)).toBeUndefined();
  });

  it("answers odd and missing names in order, pipelined, and large objects whole", async () => {
    const big = Buffer.alloc(5 * 1024 * 1024 + 3, 0x61);
    const bigSha = await git(["hash-object", "-w", "--stdin"], big);
    const names = [
      "0".repeat(40),
      "no\nsuch\nname",
      "a missing b",
      "nul\0name",
      bigSha,
      "HEAD@{",
      bigSha.slice(0, 4),
    ];
    const answers = await Promise.all(names.map((n) => cat.contents(n)));
    expect(answers.map((a) => a?.sha)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      bigSha,
      undefined,
      bigSha,
    ]);
    expect(answers[4]?.content?.equals(big)).toBe(true);
  });

  it("ends its process on close and refuses requests after", async () => {
    const reader = new CatFile(repo, dir);
    expect(reader.pid).toBeUndefined();
    await reader.info("HEAD");
    const pid = reader.pid as number;
    expect(() => process.kill(pid, 0)).not.toThrow();
    await reader.close();
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(reader.info("HEAD")).rejects.toThrow(/closed/);
  });
});
