// One contract, both backends: the same HTTP requests against the service on the local backend
// (bubblewrap) and on the Modal backend (the real `modal` SDK talking to the loopback Modal stand-in).
// Environments' network per phase is backend-specific: environment.test.ts (local) proves it.
import { createHash, randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  BlobRange,
  ChangeSet,
  CloneResult,
  EnvironmentReady,
  ExecResult,
  FileContent,
  SandboxEnvironment,
  SandboxInfo,
} from "../../src/protocol/sandbox";
import { type BackendKind, type ContractHarness, startContractHarness } from "./contract-harness";
import { type BareRepo, b64, git, makeBareRepo } from "./harness";

const blobSha = (content: Uint8Array): string =>
  createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");

describe.each<BackendKind>(["local", "modal"])("sandbox contract: %s backend", (kind) => {
  let h: ContractHarness;
  let repo: BareRepo;

  beforeAll(async () => {
    repo = await makeBareRepo({
      "mod.txt": "before\n",
      "del.txt": "to be deleted\n",
      "script.sh": "#!/bin/sh\necho hi\n",
      ".gitignore": "*.log\n",
    });
    h = await startContractHarness(kind, [repo.dir]);
  });
  afterAll(async () => {
    await h?.close();
    await repo?.cleanup();
  });

  const exec = async (sandbox: SandboxInfo, body: Record<string, unknown>): Promise<ExecResult> => {
    const reply = await h.call<ExecResult>("POST", `/v1/sandboxes/${sandbox.id}/exec`, body);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    return reply.body;
  };
  const cloned = async (): Promise<{ sandbox: SandboxInfo; clone: CloneResult }> => {
    const sandbox = await h.sandbox();
    const reply = await h.call<CloneResult>("POST", `/v1/sandboxes/${sandbox.id}/clone`, { url: repo.url });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    return { sandbox, clone: reply.body };
  };

  it("creates idempotently per job, lists and gets", async () => {
    const first = await h.call<SandboxInfo>("POST", "/v1/sandboxes", { jobId: `contract-${kind}` });
    const again = await h.call<SandboxInfo>("POST", "/v1/sandboxes", { jobId: `contract-${kind}` });
    expect(first.status).toBe(201);
    expect(again).toMatchObject({ status: 200, body: first.body });
    expect(first.body).toMatchObject({ backend: kind, jobId: `contract-${kind}` });
    expect((await h.call("GET", `/v1/sandboxes/${first.body.id}`)).body).toEqual(first.body);
    const listed = await h.call<{ sandboxes: SandboxInfo[] }>("GET", "/v1/sandboxes");
    expect(listed.body.sandboxes.map((s) => s.id)).toContain(first.body.id);
  });

  it("clones the default branch inside the sandbox, idempotently; refuses another URL and a missing repo", async () => {
    const { sandbox, clone } = await cloned();
    expect(clone).toEqual({ headSha: repo.headSha, ref: "main", treeSha: repo.treeSha });
    const again = await h.call("POST", `/v1/sandboxes/${sandbox.id}/clone`, { url: repo.url });
    expect(again.body).toEqual(clone);
    const other = await h.call("POST", `/v1/sandboxes/${sandbox.id}/clone`, { url: `${repo.url}-other` });
    expect(other.status).toBe(409);
    const inside = await exec(sandbox, {
      argv: ["sh", "-c", "git config remote.origin.partialclonefilter; ls"],
    });
    expect(inside.output).toBe("blob:none\ndel.txt\nmod.txt\nscript.sh\n");
    const fresh = await h.sandbox();
    const missing = await h.call("POST", `/v1/sandboxes/${fresh.id}/clone`, { url: `${repo.url}-missing` });
    expect(missing).toMatchObject({ status: 422, body: { retryable: false } });
    expect((await h.call("GET", `/v1/sandboxes/${fresh.id}/changes`)).status).toBe(409);
  });

  it("clones whole on request and answers the context files of the cloned commit", async () => {
    const sandbox = await h.sandbox();
    const contextPaths = ["script.sh", "missing.md", "mod.txt", ".gitignore"];
    const reply = await h.call<CloneResult>("POST", `/v1/sandboxes/${sandbox.id}/clone`, {
      url: repo.url,
      full: true,
      contextPaths,
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body).toEqual({
      headSha: repo.headSha,
      ref: "main",
      treeSha: repo.treeSha,
      files: [
        { path: "script.sh", text: "#!/bin/sh\necho hi\n", truncated: false },
        { path: "mod.txt", text: "before\n", truncated: false },
        { path: ".gitignore", text: "*.log\n", truncated: false },
      ],
    });
    const again = await h.call("POST", `/v1/sandboxes/${sandbox.id}/clone`, { url: repo.url, contextPaths });
    expect(again.body).toEqual(reply.body);
    const filter = await exec(sandbox, {
      argv: ["sh", "-c", "git config remote.origin.partialclonefilter; ls"],
    });
    expect(filter.output).toBe("del.txt\nmod.txt\nscript.sh\n");
    const fresh = await h.sandbox();
    const outside = await h.call("POST", `/v1/sandboxes/${fresh.id}/clone`, {
      url: repo.url,
      contextPaths: ["../etc/passwd"],
    });
    expect(outside.status).toBe(400);
  });

  it("runs argv with exit status, interleaved output, stdin, and 127 for a missing command", async () => {
    const sandbox = await h.sandbox();
    const result = await exec(sandbox, {
      argv: ["sh", "-c", "pwd; echo one; echo two >&2; echo three; exit 3"],
    });
    expect(result).toMatchObject({
      exitCode: 3,
      output: "/workspace\none\ntwo\nthree\n",
      truncated: false,
      timedOut: false,
    });
    expect(
      (await exec(sandbox, { argv: ["tr", "a-z", "A-Z"], stdinBase64: b64("hello sandbox") })).output,
    ).toBe("HELLO SANDBOX");
    expect((await exec(sandbox, { argv: ["cat"] })).output).toBe("");
    expect((await exec(sandbox, { argv: ["no-such-command"] })).exitCode).toBe(127);
    expect((await exec(sandbox, { argv: ["sh", "-c", "kill -9 $$"] })).exitCode).toBe(137);
  });

  it("passes argv larger than 64 KiB intact", async () => {
    const sandbox = await h.sandbox();
    const big = "x".repeat(100 * 1024);
    const result = await exec(sandbox, { argv: ["sh", "-c", 'printf %s "$1" | wc -c', "sh", big] });
    expect(result).toMatchObject({ exitCode: 0, output: `${100 * 1024}\n` });
  });

  it("kills a command and its children at its timeout with exit code 124", async () => {
    const sandbox = await h.sandbox();
    // A child takes a lock and says so before the timeout; the command itself would go on to write
    // `finished`. How soon the kill comes is the bench's business (bench/sandbox-timeout.ts).
    const script = "flock held sh -c 'echo held; exec sleep 30' & sleep 30; echo finished > finished";
    const result = await exec(sandbox, { argv: ["sh", "-c", script], timeoutMs: 2000 });
    expect(result).toMatchObject({ exitCode: 124, timedOut: true, output: "held\n" });
    // The lock is free once the child is dead (-w only waits out reaping; a survivor holds it for
    // 30 s), and the command never reached its last step.
    const after = await exec(sandbox, {
      argv: ["sh", "-c", "flock -w 10 held echo lock free; test -e finished || echo not finished"],
    });
    expect(after.output).toBe("lock free\nnot finished\n");
    expect((await exec(sandbox, { argv: ["sh", "-c", "exit 124"] })).timedOut).toBe(false);
  });

  it("cuts long output to head and tail with a marker", async () => {
    const sandbox = await h.sandbox();
    const result = await exec(sandbox, { argv: ["seq", "1", "1000000"] });
    expect(result.truncated).toBe(true);
    expect(result.output).toContain(`\n[… ${(6_888_896 - 1_048_576).toLocaleString("en-US")} bytes cut …]\n`);
    expect(result.output.startsWith("1\n2\n3\n")).toBe(true);
    expect(result.output.endsWith("999999\n1000000\n")).toBe(true);
    const small = await exec(sandbox, { argv: ["seq", "1", "1000"], maxOutputBytes: 100 });
    expect(small.output).toMatch(/^1\n2\n[\s\S]*\n\[… [\d,]+ bytes cut …\]\n[\s\S]*\n1000\n$/);
  });

  it("writes and reads files: bytes, modes, symlinks, missing files, directories", async () => {
    const sandbox = await h.sandbox();
    const files = `/v1/sandboxes/${sandbox.id}/files`;
    const read = (path: string) => h.call<FileContent>("GET", `${files}?path=${encodeURIComponent(path)}`);
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(
      (await h.call("PUT", files, { path: "deep/er/bytes.bin", contentBase64: b64(bytes) })).status,
    ).toBe(204);
    const back = await read("deep/er/bytes.bin");
    expect(back.body).toMatchObject({ path: "deep/er/bytes.bin", mode: "100644" });
    expect(Buffer.from(back.body.contentBase64, "base64")).toEqual(Buffer.from(bytes));
    const script = { path: "run.sh", contentBase64: b64("#!/bin/sh\necho ran\n"), mode: "100755" };
    expect((await h.call("PUT", files, script)).status).toBe(204);
    expect((await read("run.sh")).body.mode).toBe("100755");
    expect((await exec(sandbox, { argv: ["./run.sh"] })).output).toBe("ran\n");
    expect(
      (await h.call("PUT", files, { path: "link", contentBase64: b64("run.sh"), mode: "120000" })).status,
    ).toBe(204);
    expect((await exec(sandbox, { argv: ["readlink", "link"] })).output).toBe("run.sh\n");
    const large = Buffer.alloc(3 * 1024 * 1024, 0x61);
    expect((await h.call("PUT", files, { path: "large.txt", contentBase64: b64(large) })).status).toBe(204);
    expect((await exec(sandbox, { argv: ["wc", "-c", "large.txt"] })).output).toBe(
      `${large.length} large.txt\n`,
    );
    expect((await read("nope.txt")).status).toBe(404);
    expect((await read("deep")).status).toBe(400);
    expect((await read("../outside")).status).toBe(400);
    expect((await h.call("PUT", files, { path: "deep", contentBase64: b64("x") })).status).toBe(409);
  });

  it("extracts the same change set as metadata: modified, added, deleted, modes, binary, symlink; not ignored files", async () => {
    const { sandbox } = await cloned();
    const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
    const put = await h.call("PUT", `/v1/sandboxes/${sandbox.id}/files`, {
      path: "bin.dat",
      contentBase64: b64(binary),
    });
    expect(put.status).toBe(204);
    const script = [
      "echo after > mod.txt",
      "rm del.txt",
      "chmod +x script.sh",
      "mkdir -p dir && echo new > dir/new.txt",
      "ln -s mod.txt link",
      "echo noise > debug.log",
      // Would run wherever the service runs git, if it honoured the workspace's config; it must not run at all.
      "git config core.fsmonitor 'echo pwned > /workspace/pwned.txt; false'",
    ].join(" && ");
    expect((await exec(sandbox, { argv: ["sh", "-c", script] })).exitCode).toBe(0);
    const reply = await h.call<ChangeSet>("GET", `/v1/sandboxes/${sandbox.id}/changes`);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    const added = (path: string, content: Uint8Array, mode = "100644", status = "added") => ({
      path,
      status,
      mode,
      sha: blobSha(content),
      size: content.length,
      binary: path === "bin.dat",
      ...(mode === "120000" ? { target: Buffer.from(content).toString("utf8") } : {}),
    });
    const text = (s: string): Uint8Array => Buffer.from(s);
    const present = [binary, text("new\n"), text("mod.txt"), text("after\n"), text("#!/bin/sh\necho hi\n")];
    // The agent's own git, its fsmonitor switched off, writes the tree of the same work tree.
    const tree = await exec(sandbox, {
      argv: ["sh", "-c", "git -c core.fsmonitor=false add -A && git -c core.fsmonitor=false write-tree"],
    });
    expect(reply.body).toEqual({
      baseSha: repo.headSha,
      treeSha: tree.output.trim(),
      changes: [
        added("bin.dat", binary),
        { path: "del.txt", status: "deleted" },
        added("dir/new.txt", text("new\n")),
        added("link", text("mod.txt"), "120000"),
        added("mod.txt", text("after\n"), "100644", "modified"),
        added("script.sh", text("#!/bin/sh\necho hi\n"), "100755", "modified"),
      ],
      contents: Object.fromEntries(present.map((c) => [blobSha(c), b64(c)])),
    });
    const again = await h.call<ChangeSet>("GET", `/v1/sandboxes/${sandbox.id}/changes`);
    expect(again.body).toEqual(reply.body);
  });

  it("reads a blob in ranges of at most 1 MiB, byte-exact, and refuses bad ranges", async () => {
    const { sandbox } = await cloned();
    const size = 2 * 1024 * 1024 + 12_345;
    const script = `head -c ${size} /dev/urandom > big.bin && git hash-object -w big.bin`;
    const sha = (await exec(sandbox, { argv: ["sh", "-c", script] })).output.trim();
    const blob = `/v1/sandboxes/${sandbox.id}/blobs/${sha}`;
    const pieces: Buffer[] = [];
    for (let offset = 0; offset < size; offset += 1024 * 1024) {
      const reply = await h.call<BlobRange>("GET", `${blob}?offset=${offset}`);
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      expect(reply.body).toMatchObject({ sha, size, offset });
      pieces.push(Buffer.from(reply.body.contentBase64, "base64"));
    }
    expect(pieces.map((p) => p.length)).toEqual([1024 * 1024, 1024 * 1024, 12_345]);
    const whole = Buffer.concat(pieces);
    expect(blobSha(whole)).toBe(sha);
    const middle = await h.call<BlobRange>("GET", `${blob}?offset=1000&length=10`);
    expect(Buffer.from(middle.body.contentBase64, "base64")).toEqual(whole.subarray(1000, 1010));
    const end = await h.call<BlobRange>("GET", `${blob}?offset=${size}`);
    expect(end.body).toMatchObject({ size, offset: size, contentBase64: "" });
    expect((await h.call("GET", `${blob}?offset=${size + 1}`)).status).toBe(400);
    expect((await h.call("GET", `${blob}?length=${1024 * 1024 + 1}`)).status).toBe(400);
    expect((await h.call("GET", `${blob}?length=0`)).status).toBe(400);
    expect((await h.call("GET", `${blob}?offset=-1`)).status).toBe(400);
    expect((await h.call("GET", `/v1/sandboxes/${sandbox.id}/blobs/HEAD`)).status).toBe(400);
    expect((await h.call("GET", `/v1/sandboxes/${sandbox.id}/blobs/${"0".repeat(40)}`)).status).toBe(404);
    // A commit id is no blob.
    expect((await h.call("GET", `/v1/sandboxes/${sandbox.id}/blobs/${repo.headSha}`)).status).toBe(404);
    // Many small blobs whole in one call, at most 1 MiB together.
    const small = (
      await exec(sandbox, { argv: ["sh", "-c", "printf 'a\\0b' | git hash-object -w --stdin"] })
    ).output.trim();
    const many = await h.call<{ blobs: BlobRange[] }>("POST", `/v1/sandboxes/${sandbox.id}/blobs`, {
      shas: [small, blobSha(Buffer.from("before\n"))],
    });
    expect(many.status, JSON.stringify(many.body)).toBe(200);
    expect(many.body.blobs.map((b) => [b.sha, Buffer.from(b.contentBase64, "base64").toString()])).toEqual([
      [small, "a\0b"],
      [blobSha(Buffer.from("before\n")), "before\n"],
    ]);
    const blobs = `/v1/sandboxes/${sandbox.id}/blobs`;
    expect((await h.call("POST", blobs, { shas: [small, sha] })).status).toBe(413);
    expect((await h.call("POST", blobs, { shas: [small, "0".repeat(40)] })).status).toBe(404);
    expect((await h.call("POST", blobs, { shas: [] })).status).toBe(400);
  });

  it("runs an idempotent exec once per key", async () => {
    const sandbox = await h.sandbox();
    const body = { argv: ["sh", "-c", "echo x >> counter; wc -l < counter"], idempotencyKey: "step-1" };
    const [first, concurrent] = await Promise.all([exec(sandbox, body), exec(sandbox, body)]);
    expect(first.output).toBe("1\n");
    expect(concurrent).toEqual(first);
    expect(await exec(sandbox, body)).toEqual(first);
    expect((await exec(sandbox, { argv: ["cat", "counter"] })).output).toBe("x\n");
  });

  it("terminates: a running command ends with 404, terminate is idempotent, the sandbox is gone", async () => {
    const sandbox = await h.sandbox();
    await exec(sandbox, { argv: ["mkfifo", "gate"] });
    // The command writes to the fifo once it runs, and the reader below returns only then: the DELETE
    // comes while the command is running (had it not started, the reader would time out with 124).
    const running = h.call("POST", `/v1/sandboxes/${sandbox.id}/exec`, {
      argv: ["sh", "-c", "echo running > gate; exec sleep 30"],
    });
    const reader = await exec(sandbox, { argv: ["cat", "gate"], timeoutMs: 20_000 });
    expect(reader).toMatchObject({ exitCode: 0, output: "running\n" });
    expect((await h.call("DELETE", `/v1/sandboxes/${sandbox.id}`)).status).toBe(204);
    expect((await running).status).toBe(404);
    expect((await h.call("DELETE", `/v1/sandboxes/${sandbox.id}`)).status).toBe(204);
    expect((await h.call("GET", `/v1/sandboxes/${sandbox.id}`)).status).toBe(404);
    expect((await h.call("POST", `/v1/sandboxes/${sandbox.id}/exec`, { argv: ["true"] })).status).toBe(404);
  });

  it("answers problems for unknown sandboxes and bad requests", async () => {
    const unknown = "sbx-00000000000000000000";
    expect((await h.call("GET", `/v1/sandboxes/${unknown}/changes`)).status).toBe(404);
    expect((await h.call("POST", `/v1/sandboxes/${unknown}/exec`, { argv: ["true"] })).status).toBe(404);
    expect((await h.call("DELETE", `/v1/sandboxes/${unknown}`)).status).toBe(204);
    const sandbox = await h.sandbox();
    expect((await h.call("POST", `/v1/sandboxes/${sandbox.id}/exec`, { argv: [] })).status).toBe(400);
    expect((await h.call("GET", "/v1/sandboxes", undefined, null)).status).toBe(401);
  });

  it("used only calls the Modal stand-in implements", () => {
    expect(h.modal?.unimplemented ?? []).toEqual([]);
  });

  it("janitor: lists owned sandboxes by job and terminates those of ended jobs", async () => {
    const doomed = await h.call<SandboxInfo>("POST", "/v1/sandboxes", { jobId: `ended-${kind}` });
    const kept = await h.call<SandboxInfo>("POST", "/v1/sandboxes", { jobId: `alive-${kind}` });
    const owned = await h.call<{ sandboxes: { id: string; jobId: string }[] }>("GET", "/v1/janitor");
    expect(owned.body.sandboxes).toContainEqual({ id: doomed.body.id, jobId: `ended-${kind}` });
    const swept = await h.call<{ terminated: { id: string }[] }>("POST", "/v1/janitor", {
      jobIds: [`ended-${kind}`],
    });
    expect(swept.body.terminated.map((s) => s.id)).toEqual([doomed.body.id]);
    expect((await h.call("GET", `/v1/sandboxes/${doomed.body.id}`)).status).toBe(404);
    expect((await h.call("GET", `/v1/sandboxes/${kept.body.id}`)).status).toBe(200);
  });
});

describe.each<BackendKind>(["local", "modal"])("sandbox limit: %s backend", (kind) => {
  it("answers 429 with Retry-After past the limit, and admits again once one is terminated", async () => {
    const h = await startContractHarness(kind, [], 2);
    try {
      const a = await h.sandbox();
      await h.sandbox();
      const over = await h.call("POST", "/v1/sandboxes", { jobId: "one-too-many" });
      expect(over).toMatchObject({ status: 429, body: { status: 429, retryable: true } });
      expect(over.headers.get("content-type")).toContain("application/problem+json");
      expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await h.call("POST", "/v1/sandboxes", { jobId: a.jobId })).status).toBe(200);
      await h.call("DELETE", `/v1/sandboxes/${a.id}`);
      expect((await h.call("POST", "/v1/sandboxes", { jobId: "one-too-many" })).status).toBe(201);
    } finally {
      await h.close();
    }
  });
});

// Environments (issue 14): the phases, exec's env and cwd, and the cache (save, warm create, the
// warm clone that moves to a newer commit), on a repository of their own that moves on.
describe.each<BackendKind>(["local", "modal"])("sandbox contract, environments: %s backend", (kind) => {
  let h: ContractHarness;
  let repo: BareRepo;
  beforeAll(async () => {
    repo = await makeBareRepo({ "app.txt": "v1\n", "old.txt": "old\n", ".gitignore": "node_modules/\n" });
    h = await startContractHarness(kind, [repo.dir]);
  });
  afterAll(async () => {
    await h?.close();
    await repo?.cleanup();
  });

  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const reply = await h.call<T>(method, path, body);
    expect(reply.status, `${method} ${path}: ${JSON.stringify(reply.body)}`).toBeLessThan(300);
    return reply.body;
  };
  const create = (environment?: SandboxEnvironment): Promise<SandboxInfo> =>
    call("POST", "/v1/sandboxes", { jobId: `env-${randomBytes(6).toString("hex")}`, environment });
  const exec = (sandbox: SandboxInfo, body: Record<string, unknown>): Promise<ExecResult> =>
    call("POST", `/v1/sandboxes/${sandbox.id}/exec`, body);
  const clone = (sandbox: SandboxInfo): Promise<CloneResult> =>
    call("POST", `/v1/sandboxes/${sandbox.id}/clone`, { url: repo.url });

  it("runs the setup phase between begin and ready, then refuses begin (409); ready is idempotent", async () => {
    const sandbox = await create({ repo: "acme/phases", cacheKey: "phases" });
    expect(sandbox.warm).toBe(false);
    await clone(sandbox);
    expect(await call("POST", `/v1/sandboxes/${sandbox.id}/environment/begin`)).toEqual({ phase: "setup" });
    expect(await call("POST", `/v1/sandboxes/${sandbox.id}/environment/begin`)).toEqual({ phase: "setup" });
    expect((await exec(sandbox, { argv: ["sh", "-c", "echo set up > setup.log"] })).exitCode).toBe(0);
    const ready = { phase: "agent", saved: false, evicted: 0 };
    expect(await call("POST", `/v1/sandboxes/${sandbox.id}/environment/ready`, { save: false })).toEqual(
      ready,
    );
    expect(await call("POST", `/v1/sandboxes/${sandbox.id}/environment/ready`, { save: false })).toEqual(
      ready,
    );
    const again = await h.call("POST", `/v1/sandboxes/${sandbox.id}/environment/begin`);
    expect(again).toMatchObject({ status: 409, body: { status: 409 } });
    expect((await exec(sandbox, { argv: ["cat", "setup.log"] })).output).toBe("set up\n");
  });

  it("runs a command with extra environment variables in a subdirectory, and refuses bad ones", async () => {
    const sandbox = await create();
    await clone(sandbox);
    await exec(sandbox, { argv: ["mkdir", "-p", "pkg/lib"] });
    const run = await exec(sandbox, {
      argv: ["sh", "-c", 'echo "$A|$B"; pwd'],
      env: { A: "1", B: "two words" },
      cwd: "pkg/lib",
    });
    expect(run.output).toBe("1|two words\n/workspace/pkg/lib\n");
    for (const bad of [
      { env: { PATH: "/x" } },
      { env: { HOME: "/x" } },
      { env: { "9x": "" } },
      { cwd: "nope" },
      { cwd: "app.txt" },
      { cwd: "../x" },
    ]) {
      const reply = await h.call("POST", `/v1/sandboxes/${sandbox.id}/exec`, { argv: ["true"], ...bad });
      expect(reply.status, JSON.stringify(bad)).toBe(400);
    }
  });

  it("saves a set-up environment; the next sandbox starts warm and its clone moves to the new commit, keeping ignored files and HOME", async () => {
    const environment = { repo: "acme/cached", cacheKey: "cached-1" };
    const cold = await create(environment);
    await clone(cold);
    await call("POST", `/v1/sandboxes/${cold.id}/environment/begin`);
    const setup =
      "mkdir -p node_modules/x ~/.cache/tool && echo dep > node_modules/x/i.js && echo home > ~/.cache/tool/s && echo stray > stray.txt";
    expect((await exec(cold, { argv: ["sh", "-c", setup] })).exitCode).toBe(0);
    const saved = await call<EnvironmentReady>("POST", `/v1/sandboxes/${cold.id}/environment/ready`, {
      save: true,
    });
    expect(saved).toMatchObject({ phase: "agent", saved: true, evicted: 0 });

    const work = join(repo.dir, "work");
    await writeFile(join(work, "app.txt"), "v2\n");
    git(work, "rm", "-q", "old.txt");
    git(work, "commit", "-qam", "second");
    git(work, "push", "-q", join(repo.dir, "repo.git"), "main");
    const second = git(work, "rev-parse", "HEAD");

    const warm = await create(environment);
    expect(warm.warm).toBe(true);
    const moved = await clone(warm);
    expect(moved).toEqual(await clone(await create()));
    expect(moved.headSha).toBe(second);
    const seen = await exec(warm, {
      argv: ["sh", "-c", "cat node_modules/x/i.js ~/.cache/tool/s app.txt; ls; git status --porcelain"],
    });
    expect(seen.output).toBe("dep\nhome\nv2\napp.txt\nnode_modules\n");
    expect((await create({ repo: "acme/elsewhere", cacheKey: "cached-1" })).warm).toBe(false);
  });
});
