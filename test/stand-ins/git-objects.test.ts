// The stand-in's in-process git objects against git's own plumbing, on random input: blobs
// (hash-object), trees built on a base with changes (update-index + write-tree) and tree listings
// (ls-tree -r -t -l) must come out the same, and the in-process path must be the one taken for
// ordinary input (else this would prove nothing). Commits and ref names: git-commits.test.ts.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CatFile } from "./git-cat-file";
import { runGit } from "./git-cli";
import { writeLooseObject } from "./git-loose";
import { buildTreeWithIndex, type IndexRepo } from "./git-plumbing";
import { random, testSeed } from "./git-random";
import { TreeBuilder, type TreeChange } from "./git-tree-build";
import { parseTree } from "./git-tree-format";
import { BareRepo, type TreeItem } from "./github-git";

const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

const SEED = testSeed();

// Names whose order git decides differently from plain string order ("a" < "a-b" < "a.b" < "a/"),
// non-ASCII ones, and a few only git may judge (which the builder must leave to it).
const NAMES = [
  "a",
  "b",
  "a-b",
  "a.b",
  "a_b",
  "a b",
  "ab",
  "A",
  "ä",
  "日本",
  "x.txt",
  ".github",
  ".gitignore",
  "0",
];
const ODD_NAMES = ["git~1", ".GIT", "a\\b", ".gitmodules", "x~y"];

describe(`git objects written in-process match git's plumbing (seed ${SEED})`, () => {
  let dir: string;
  let repo: BareRepo;
  let reference: IndexRepo;
  let builder: TreeBuilder;
  let reader: CatFile;
  const blobs: string[] = [];
  const rnd = random(SEED);

  const git = (args: string[], input?: string | Buffer, env?: Record<string, string>) =>
    runGit(repo.dir, args, { home: dir, input, env });

  /** The listing as the stand-in made it before: git ls-tree -l -z (-r -t). */
  async function lsTree(sha: string, recursive: boolean): Promise<TreeItem[]> {
    const out = (await git(["ls-tree", "-l", "-z", ...(recursive ? ["-r", "-t"] : []), sha])).toString(
      "utf8",
    );
    return out
      .split("\0")
      .filter(Boolean)
      .map((line) => {
        const tab = line.indexOf("\t");
        const [mode = "", type = "", id = "", size = "-"] = line.slice(0, tab).split(/ +/);
        const item: TreeItem = { path: line.slice(tab + 1), mode, type: type as TreeItem["type"], sha: id };
        if (size !== "-") item.size = Number(size);
        return item;
      });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "git-objects-"));
    repo = new BareRepo(join(dir, "repo.git"), dir);
    await mkdir(repo.dir);
    await repo.run(["init", "--quiet", "--bare", repo.dir]);
    reference = { home: dir, run: repo.run.bind(repo), text: repo.text.bind(repo), listTree: lsTree };
    reader = new CatFile(repo.dir, dir);
    const has = async (sha: string) => (await reader.info(sha)) !== undefined;
    builder = new TreeBuilder({
      readTree: async (sha) => {
        const found = await reader.contents(sha);
        if (found?.type !== "tree" || !found.content) throw new Error(`${sha} is no tree`);
        return parseTree(found.content);
      },
      writeTree: (content) => writeLooseObject(repo.dir, "tree", content, has),
    });
    for (let i = 0; i < 12; i++)
      blobs.push((await git(["hash-object", "-w", "--stdin"], `blob ${i}\n`)).toString().trim());
  });

  afterAll(async () => {
    await reader?.close();
    await repo?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("stores blobs under the id git gives them, readable by git", async () => {
    const samples = [
      Buffer.alloc(0),
      Buffer.from("hello\n"),
      Buffer.from([0, 1, 2, 255, 254]),
      Buffer.alloc(300_000, 7),
    ];
    for (let i = 0; i < 8; i++)
      samples.push(Buffer.from(Array.from({ length: rnd.int(5000) }, () => rnd.int(256))));
    for (const bytes of samples) {
      const sha = await repo.writeBlob(bytes);
      expect(sha).toBe((await git(["hash-object", "--stdin"], bytes)).toString().trim());
      expect((await git(["cat-file", "blob", sha])).equals(bytes)).toBe(true);
      expect((await repo.readBlob(sha)).equals(bytes)).toBe(true);
    }
    await git(["fsck", "--strict", "--no-dangling"]);
  });

  /** A random path of one to three components from `names`. */
  const path = (names: readonly string[]) =>
    Array.from({ length: 1 + rnd.int(3) }, () => rnd.pick(names)).join("/");

  /** A random change: a file, symlink, submodule, deletion or grafted subtree, at a random path. */
  async function change(base: string | undefined, names: readonly string[]): Promise<TreeChange> {
    const existing = base ? await lsTree(base, true) : [];
    const at = existing.length > 0 && rnd.next() < 0.5 ? rnd.pick(existing).path : path(names);
    const roll = rnd.next();
    if (roll < 0.2) return { path: at, mode: "100644", type: "blob", sha: null };
    if (roll < 0.3)
      return { path: at, mode: "160000", type: "commit", sha: rnd.pick(blobs).replace(/^./, "c") };
    if (roll < 0.45) {
      const trees = existing.filter((e) => e.type === "tree").map((e) => e.sha);
      return {
        path: at,
        mode: "040000",
        type: "tree",
        sha: rnd.pick([...trees, EMPTY_TREE, ...(base ? [base] : [])]),
      };
    }
    if (roll < 0.55 && existing.length > 0)
      return {
        path: `${rnd.pick(existing).path}/${rnd.pick(names)}`,
        mode: "100644",
        type: "blob",
        sha: rnd.pick(blobs),
      };
    return { path: at, mode: rnd.pick(["100644", "100755", "120000"]), type: "blob", sha: rnd.pick(blobs) };
  }

  it("builds the trees git's index builds, on a base and from nothing, with every kind of change", async () => {
    await git(["mktree"], "");
    let fast = 0;
    let base: string | undefined;
    for (let round = 0; round < 40; round++) {
      const odd = rnd.next() < 0.15;
      const names = odd ? [...NAMES, ...ODD_NAMES] : NAMES;
      const changes: TreeChange[] = [];
      for (let i = 1 + rnd.int(6); i > 0; i--) changes.push(await change(base, names));
      const want = await buildTreeWithIndex(reference, base, changes).catch((e: Error) => `error ${e.name}`);
      const built = await builder.build(base, changes);
      if (built !== undefined) {
        fast++;
        expect(built, JSON.stringify({ base, changes })).toBe(want);
      }
      const got = await repo.buildTree(base, changes).catch((e: Error) => `error ${e.name}`);
      expect(got, JSON.stringify({ base, changes })).toBe(want);
      if (!want.startsWith("error")) {
        expect(await repo.listTree(want, true)).toEqual(await lsTree(want, true));
        expect(await repo.listTree(want, false)).toEqual(await lsTree(want, false));
        // Every third round starts over from nothing.
        base = round % 3 === 2 ? undefined : want;
      }
    }
    expect(fast).toBeGreaterThan(25);
  });

  it("leaves trees git would rewrite to git, and lists them as ls-tree does", async () => {
    const raw = (entries: [string, string, string][]) =>
      Buffer.concat(
        entries.map(([mode, name, sha]) =>
          Buffer.concat([Buffer.from(`${mode} ${name}\0`), Buffer.from(sha, "hex")]),
        ),
      );
    const sub = (await git(["mktree"], `100644 blob ${blobs[0]}\tinner\n`)).toString().trim();
    const odd = [
      raw([["100664", "group-writable", blobs[0] as string]]),
      raw([["040000", "zero-padded", sub]]),
      raw([
        ["100644", "b", blobs[0] as string],
        ["100644", "a", blobs[1] as string],
      ]),
      raw([["40000", "empty", EMPTY_TREE]]),
      raw([
        ["100644", "twice", blobs[0] as string],
        ["100755", "twice", blobs[1] as string],
      ]),
    ];
    for (const bytes of odd) {
      const tree = (await git(["hash-object", "-t", "tree", "--literally", "-w", "--stdin"], bytes))
        .toString()
        .trim();
      const changes: TreeChange[] = [
        { path: "added", mode: "100644", type: "blob", sha: blobs[2] as string },
      ];
      expect(await builder.build(tree, changes)).toBeUndefined();
      const want = await buildTreeWithIndex(reference, tree, changes).catch((e: Error) => `error ${e.name}`);
      expect(await repo.buildTree(tree, changes).catch((e: Error) => `error ${e.name}`)).toBe(want);
      expect(await repo.listTree(tree, true)).toEqual(await lsTree(tree, true));
    }
  });
});
