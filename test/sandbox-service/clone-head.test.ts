// What a clone answers about the commit it checked out, on both backends alike: the branch, or the
// tag asked for when HEAD is detached; a file past the context limit cut to it; a symlink, a
// directory and a missing path left out; an empty repository refused with 422.
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloneResult } from "../../src/protocol/sandbox";
import { MAX_CONTEXT_FILE_BYTES } from "../../src/protocol/sandbox-schemas";
import { type BackendKind, type ContractHarness, startContractHarness } from "./contract-harness";
import { git } from "./harness";

const BIG = `${"x".repeat(MAX_CONTEXT_FILE_BYTES)}tail\n`;

describe.each<BackendKind>(["local", "modal"])("clone head: %s backend", (kind) => {
  let h: ContractHarness;
  let dir: string;
  let headSha: string;
  let treeSha: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "clone-head-"));
    const work = join(dir, "work");
    await mkdir(join(work, ".github"), { recursive: true });
    await mkdir(join(work, "docs"));
    git(work, "init", "-q", "-b", "trunk");
    await writeFile(join(work, "README.md"), BIG);
    await writeFile(join(work, ".github", "CONTRIBUTING.md"), "be kind\n");
    await writeFile(join(work, "docs", "a.md"), "a\n");
    await symlink("README.md", join(work, "AGENTS.md"));
    git(work, "add", "-A");
    git(work, "commit", "-q", "-m", "initial");
    git(work, "tag", "v1");
    headSha = git(work, "rev-parse", "HEAD");
    treeSha = git(work, "rev-parse", "HEAD^{tree}");
    git(dir, "clone", "-q", "--bare", work, "repo.git");
    git(dir, "init", "-q", "--bare", "empty.git");
    h = await startContractHarness(kind, [dir]);
  });
  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const clone = async (body: Record<string, unknown>) => {
    const sandbox = await h.sandbox();
    return h.call<CloneResult>("POST", `/v1/sandboxes/${sandbox.id}/clone`, body);
  };
  const contextPaths = ["AGENTS.md", "README.md", "docs", ".github/CONTRIBUTING.md", "absent.md"];

  it("answers the default branch, the files cut to the limit, and no link, directory or absent path", async () => {
    const reply = await clone({ url: `file://${dir}/repo.git`, full: true, contextPaths });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body).toEqual({
      headSha,
      ref: "trunk",
      treeSha,
      files: [
        { path: "README.md", text: BIG.slice(0, MAX_CONTEXT_FILE_BYTES), truncated: true },
        { path: ".github/CONTRIBUTING.md", text: "be kind\n", truncated: false },
      ],
    });
  });

  it("answers the tag asked for when the clone's HEAD is detached, with no paths asked", async () => {
    const reply = await clone({ url: `file://${dir}/repo.git`, ref: "v1" });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body).toEqual({ headSha, ref: "v1", treeSha });
  });

  it("refuses an empty repository with 422, with or without context paths", async () => {
    for (const paths of [undefined, contextPaths]) {
      const reply = await clone({
        url: `file://${dir}/empty.git`,
        ...(paths ? { contextPaths: paths } : {}),
      });
      expect(reply.status, JSON.stringify(reply.body)).toBe(422);
      expect(JSON.stringify(reply.body)).toContain("the repository has no commits");
    }
  });
});
