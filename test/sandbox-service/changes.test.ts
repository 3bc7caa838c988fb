// Clone of a real bare repo and the change set of the work tree against it: modified, added,
// deleted, chmod +x, binary, symlink, ignored; git runs in the jail, so .git/config tricks stay inside.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChangeSet, CloneResult, ExecResult, SandboxInfo } from "../../src/protocol/sandbox";
import { type BareRepo, b64, type Harness, makeBareRepo, startHarness } from "./harness";

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

const blobSha = (content: Uint8Array): string =>
  createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");

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
    expect(clone).toEqual({ headSha: repo.headSha, ref: "main" });
    const again = await h.call("POST", `/v1/sandboxes/${sandbox.id}/clone`, { url: repo.url });
    expect(again.body).toEqual(clone);
    const other = await h.call("POST", `/v1/sandboxes/${sandbox.id}/clone`, { url: `${repo.url}-other` });
    expect(other.status).toBe(409);
    const inside = await sh(sandbox, "git config remote.origin.partialclonefilter; git rev-parse HEAD; ls");
    expect(inside.output).toBe(`blob:none\n${repo.headSha}\ndel.txt\nmod.txt\nscript.sh\n`);
    const empty = await h.call<ChangeSet>("GET", `/v1/sandboxes/${sandbox.id}/changes`);
    expect(empty.body).toEqual({ baseSha: repo.headSha, changes: [] });
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
  it("lists additions, modifications, deletions, modes, binaries and symlinks; not ignored files", async () => {
    const { sandbox } = await cloned();
    const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
    const put = await h.call("PUT", `/v1/sandboxes/${sandbox.id}/files`, {
      path: "bin.dat",
      contentBase64: b64(binary),
    });
    expect(put.status).toBe(204);
    await sh(
      sandbox,
      [
        "echo after > mod.txt",
        "rm del.txt",
        "chmod +x script.sh",
        "mkdir -p dir && echo new > dir/new.txt",
        "ln -s mod.txt link",
        "echo noise > debug.log",
        // Would run on the host if the service ran git outside the jail; here it must not run at all.
        "git config core.fsmonitor 'echo pwned > /workspace/pwned.txt; false'",
      ].join(" && "),
    );
    const reply = await h.call<ChangeSet>("GET", `/v1/sandboxes/${sandbox.id}/changes`);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    const text = (s: string): Uint8Array => Buffer.from(s);
    const added = (path: string, content: Uint8Array, mode = "100644", status = "added") => ({
      path,
      status,
      mode,
      sha: blobSha(content),
      contentBase64: b64(content),
    });
    expect(reply.body.baseSha).toBe(repo.headSha);
    expect(reply.body.changes).toEqual([
      added("bin.dat", binary),
      { path: "del.txt", status: "deleted" },
      added("dir/new.txt", text("new\n")),
      added("link", text("mod.txt"), "120000"),
      added("mod.txt", text("after\n"), "100644", "modified"),
      added("script.sh", text("#!/bin/sh\necho hi\n"), "100755", "modified"),
    ]);
    const again = await h.call<ChangeSet>("GET", `/v1/sandboxes/${sandbox.id}/changes`);
    expect(again.body).toEqual(reply.body);
  });

  it("reports a rename as a deletion plus an addition", async () => {
    const { sandbox } = await cloned();
    await sh(sandbox, "git mv mod.txt moved.txt");
    const reply = await h.call<ChangeSet>("GET", `/v1/sandboxes/${sandbox.id}/changes`);
    expect(reply.body.changes.map((c) => [c.path, c.status])).toEqual([
      ["mod.txt", "deleted"],
      ["moved.txt", "added"],
    ]);
  });
});
