// Commit objects and ref-name checks of the GitHub stand-in against git on random input: what
// commit-tree writes for an identity, date and message (crud trimmed, delimiters dropped, what it
// refuses or re-encodes left to it), and what check-ref-format takes; the in-process path must be
// the one taken for ordinary input.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runGit } from "./git-cli";
import { encodeCommit } from "./git-commit-format";
import { commitTreeWithGit } from "./git-plumbing";
import { random, testSeed } from "./git-random";
import { BareRepo, type Identity, isPlainRefName } from "./github-git";

const SEED = testSeed();

describe(`commits and ref names match git's (seed ${SEED})`, () => {
  let dir: string;
  let repo: BareRepo;
  const blobs: string[] = [];
  const rnd = random(SEED);
  const git = (args: string[], input?: string | Buffer) => runGit(repo.dir, args, { home: dir, input });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "git-commits-"));
    repo = new BareRepo(join(dir, "repo.git"), dir);
    await mkdir(repo.dir);
    await repo.run(["init", "--quiet", "--bare", repo.dir]);
    blobs.push((await git(["hash-object", "-w", "--stdin"], "content\n")).toString().trim());
  });

  afterAll(async () => {
    await repo?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("writes the commit objects commit-tree writes, byte for byte", async () => {
    const tree = (await git(["mktree"], `100644 blob ${blobs[0]}\tf\n`)).toString().trim();
    const commits: string[] = [];
    // Crud git trims, delimiters it drops, and (rarely) what it would re-encode or refuse.
    const pieces = [
      "Ann",
      "Bo Li",
      "José",
      "日本",
      "x",
      ".",
      ",",
      ":",
      ";",
      "<",
      ">",
      '"',
      "\\",
      "'",
      " ",
      "\t",
      "\n",
      "@",
      "-",
    ];
    const rare = ["\uffff", "\ufdd0", "\ud800", "\0"];
    const text = (min: number) =>
      Array.from({ length: min + rnd.int(4) }, () => rnd.pick(rnd.next() < 0.03 ? rare : pieces)).join("");
    const date = () =>
      rnd.pick([
        "2024-01-01T00:00:00Z",
        new Date(Date.UTC(1960 + rnd.int(160), rnd.int(12), 1 + rnd.int(28), rnd.int(24)))
          .toISOString()
          .replace(/\.\d+Z$/, "Z"),
        "1973-03-03T09:46:40Z",
        "1973-03-03T09:46:39Z",
        "2099-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
      ]);
    const who = (): Identity => ({
      name:
        rnd.next() < 0.05
          ? ""
          : rnd.next() < 0.3
            ? text(1)
            : `${text(0)}${rnd.pick(["Ann", "José"])}${text(0)}`,
      email: rnd.next() < 0.1 ? "" : `${text(0)}@x${text(0)}`,
      date: date(),
    });
    let fast = 0;
    for (let i = 0; i < 120; i++) {
      const message = rnd.pick([
        "",
        "One line",
        "Subject\n\nBody\n",
        "no newline at end",
        "trailing\n\n",
        text(0),
        "nul\0inside\n",
        "caf\u00e9 \u2603\n",
      ]);
      const parents = Array.from({ length: rnd.int(4) }, () =>
        rnd.pick([...commits.slice(-3), ...(commits[0] ? [commits[0]] : [])]),
      ).filter(Boolean);
      const author = who();
      const input = { tree, parents, message, author, committer: rnd.next() < 0.5 ? author : who() };
      const want = await commitTreeWithGit(repo, input).catch((e: Error) => `error ${e.name}`);
      const got = await repo.commitTree(input).catch((e: Error) => `error ${e.name}`);
      expect(got, JSON.stringify(input)).toBe(want);
      if (encodeCommit(input)) fast++;
      if (!want.startsWith("error")) commits.push(want);
    }
    expect(fast).toBeGreaterThan(20);
    expect(commits.length).toBeGreaterThan(20);
  });

  it("takes the ref names check-ref-format takes", async () => {
    const plain = ["heads", "agent", "a", "x-1", "v1.0", "_", "A.b", "9"];
    const pieces = [
      "refs",
      "heads",
      "agent",
      "a",
      "x-1",
      "v1.0",
      "_",
      ".",
      "..",
      "/",
      "//",
      ".lock",
      "-",
      "@",
      "@{",
      "~",
      "^",
      ":",
      " ",
      "é",
      "*",
      "[",
      "\\",
    ];
    let fast = 0;
    for (let i = 0; i < 150; i++) {
      const from = rnd.next() < 0.4 ? plain : pieces;
      const name = `refs/${Array.from({ length: 1 + rnd.int(5) }, () => rnd.pick(from)).join(rnd.pick(["/", "", "/"]))}`;
      const valid = await git(["check-ref-format", name]).then(
        () => true,
        () => false,
      );
      if (isPlainRefName(name)) {
        fast++;
        expect(valid, name).toBe(true);
      }
      expect(await repo.isValidRefName(name), name).toBe(valid);
    }
    expect(fast).toBeGreaterThan(20);
  });
});
