// Clone of a real bare repo and the change set of the work tree against it: modified, added,
// deleted, chmod +x, binary, symlink, ignored; git runs in the jail, so .git/config tricks stay inside.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChangeSet, CloneResult, ExecResult, SandboxInfo } from "../../src/protocol/sandbox";
import { type BareRepo, type Harness, makeBareRepo, startHarness } from "./harness";

let h: Harness;
let repo: BareRepo;

beforeAll(async () => {
  [h, repo] = await Promise.all([
    startHarness(),
    makeBareRepo({
      "mod.txt": "before\n",
      "del.txt": "to be deleted\n",
      "script.sh": "#!/bin/sh\necho hi\n",
      ".gitignore": "*.log\n",
    }),
  ]);
});
afterAll(async () => {
  await h?.close();
  await repo?.cleanup();
});

async function cloned(ref?: string): Promise<{ sandbox: SandboxInfo; clone: CloneResult }> {
  const sandbox = await h.sandbox();
  const reply = await h.call<CloneResult>("POST", `/v1/sandboxes/${sandbox.id}/clone`, {
    url: repo.url,
    ref,
  });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return { sandbox, clone: reply.body };
}

async function sh(sandbox: SandboxInfo, script: string): Promise<ExecResult> {
  const reply = await h.call<ExecResult>("POST", `/v1/sandboxes/${sandbox.id}/exec`, {
    argv: ["sh", "-c", script],
  });
  expect(reply.body.exitCode, reply.body.output).toBe(0);
  return reply.body;
}

describe("clone", () => {
  it("partially clones the default branch and records its head, idempotently", async () => {
    const { sandbox, clone } = await cloned();
    expect(clone).toEqual({ headSha: repo.headSha, ref: "main", treeSha: repo.treeSha });
    const again = await h.call("POST", `/v1/sandboxes/${sandbox.id}/clone`, { url: repo.url });
    expect(again.body).toEqual(clone);
    const other = await h.call("POST", `/v1/sandboxes/${sandbox.id}/clone`, { url: `${repo.url}-other` });
    expect(other.status).toBe(409);
    const inside = await sh(sandbox, "git config remote.origin.partialclonefilter; git rev-parse HEAD; ls");
    expect(inside.output).toBe(`blob:none\n${repo.headSha}\ndel.txt\nmod.txt\nscript.sh\n`);
    const empty = await h.call<ChangeSet>("GET", `/v1/sandboxes/${sandbox.id}/changes`);
    expect(empty.body).toEqual({ baseSha: repo.headSha, changes: [], treeSha: repo.treeSha });
  });

  it("clones a named branch, and fails cleanly for a missing repo", async () => {
    const { clone } = await cloned("feature");
    expect(clone.ref).toBe("feature");
    expect(clone.headSha).not.toBe(repo.headSha);
    const sandbox = await h.sandbox();
    const missing = await h.call("POST", `/v1/sandboxes/${sandbox.id}/clone`, { url: `${repo.url}-missing` });
    expect(missing).toMatchObject({ status: 422, body: { retryable: false } });
    const early = await h.call("GET", `/v1/sandboxes/${sandbox.id}/changes`);
    expect(early.status).toBe(409);
  });
});

describe("changes", () => {
  it("reports a rename as a deletion plus an addition", async () => {
    const { sandbox } = await cloned();
    await sh(sandbox, "git mv mod.txt moved.txt");
    const reply = await h.call<ChangeSet>("GET", `/v1/sandboxes/${sandbox.id}/changes`);
    expect(reply.body.changes.map((c) => [c.path, c.status])).toEqual([
      ["mod.txt", "deleted"],
      ["moved.txt", "added"],
    ]);
  });

  it("reads paths that hold newlines, tabs or a fake diff record as the paths they are", async () => {
    const { sandbox } = await cloned();
    // A name whose second line looks like a raw diff record naming the base tree: not a blob to list.
    const fake = `evil\n:000000 100644 ${"0".repeat(40)} ${repo.treeSha} A`;
    await sh(sandbox, `printf 'one\\n' > "$(printf '${fake.replace(/\n/g, "\\n")}')"`);
    await sh(sandbox, "printf 'two\\n' > ':colon\tand tab'; printf 'x\\0y' > bin.dat");
    // Non-ASCII, a quote and a backslash: git quotes these, octal bytes included; one is binary.
    const odd = 'naïve "q" \\ ü.bin';
    const wrote = await h.call<ExecResult>("POST", `/v1/sandboxes/${sandbox.id}/exec`, {
      argv: ["sh", "-c", 'printf "a\\0b\\0c" > "$1"', "sh", odd],
    });
    expect(wrote.body.exitCode).toBe(0);
    const reply = await h.call<ChangeSet>("GET", `/v1/sandboxes/${sandbox.id}/changes`);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    const { changes, contents } = reply.body;
    expect(changes.map((c) => [c.path, c.status, c.status === "deleted" ? 0 : c.size])).toEqual([
      [":colon\tand tab", "added", 4],
      ["bin.dat", "added", 3],
      [fake, "added", 4],
      [odd, "added", 5],
    ]);
    expect(changes.map((c) => c.status !== "deleted" && c.binary)).toEqual([false, true, false, true]);
    expect(Object.keys(contents ?? {}).sort()).toEqual(
      changes.flatMap((c) => (c.status === "deleted" ? [] : [c.sha])).sort(),
    );
  });

  it("carries contents only while the files together stay within 256 KiB, the tree id always", async () => {
    const { sandbox } = await cloned();
    const changes = () => h.call<ChangeSet>("GET", `/v1/sandboxes/${sandbox.id}/changes`);
    await sh(sandbox, "head -c 262144 /dev/zero | tr '\\0' a > big.txt");
    const within = await changes();
    expect(Object.values(within.body.contents ?? {}).map((b) => Buffer.from(b, "base64").length)).toEqual([
      262_144,
    ]);
    await sh(sandbox, "echo one more byte > more.txt");
    const over = await changes();
    expect(over.body.changes.map((c) => c.path)).toEqual(["big.txt", "more.txt"]);
    expect(over.body.contents).toBeUndefined();
    const tree = await sh(sandbox, "git add -A && git write-tree");
    expect(over.body.treeSha).toBe(tree.output.trim());
  });
});
