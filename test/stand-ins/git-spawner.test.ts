// Git runs through the helper process answer exactly as runs started here do: stdout bytes, exit
// code and stderr, binary input, many at once; and closing ends the helper.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitError, runGit } from "./git-cli";
import { GitSpawner } from "./git-spawner";

describe("git spawner", () => {
  let dir: string;
  let repo: string;
  const spawner = new GitSpawner();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "git-spawner-"));
    repo = join(dir, "repo.git");
    await mkdir(repo);
    await runGit(repo, ["init", "--quiet", "--bare", repo], { home: dir, spawner });
  });

  afterAll(async () => {
    await spawner.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("gives the same output, input and failures as a git run started here", async () => {
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
    const here = await runGit(repo, ["hash-object", "-w", "--stdin"], { home: dir, input: bytes });
    const there = await runGit(repo, ["hash-object", "-w", "--stdin"], { home: dir, input: bytes, spawner });
    expect(there.toString()).toBe(here.toString());
    const sha = there.toString().trim();
    const back = await runGit(repo, ["cat-file", "blob", sha], { home: dir, spawner });
    expect(back.equals(bytes)).toBe(true);
    const failure = (spawn?: GitSpawner) =>
      runGit(repo, ["rev-parse", "--verify", "no-such-rev"], { home: dir, spawner: spawn }).catch(
        (e: unknown) => e,
      );
    const [a, b] = await Promise.all([failure(), failure(spawner)]);
    expect(b).toBeInstanceOf(GitError);
    expect([(b as GitError).exitCode, (b as GitError).stderr]).toEqual([
      (a as GitError).exitCode,
      (a as GitError).stderr,
    ]);
  });

  it("answers many runs at once, each its own", async () => {
    const runs = Array.from({ length: 20 }, (_, i) =>
      runGit(repo, ["hash-object", "--stdin"], { home: dir, input: `run ${i}\n`, spawner }),
    );
    const direct = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        runGit(repo, ["hash-object", "--stdin"], { home: dir, input: `run ${i}\n` }),
      ),
    );
    expect((await Promise.all(runs)).map(String)).toEqual(direct.map(String));
  });

  it("refuses runs once closed", async () => {
    const other = new GitSpawner();
    await runGit(repo, ["--version"], { home: dir, spawner: other });
    await other.close();
    await expect(runGit(repo, ["--version"], { home: dir, spawner: other })).rejects.toThrow(/closed/);
  });
});
