// The sandbox-service image without Docker: the Dockerfile's own build steps (scripts/build-service.mjs:
// the esbuild bundle and a production-only `npm ci`) into a scratch directory outside the project,
// then the bundle started the way the image's CMD starts it, with SANDBOX_BACKEND=modal against the
// Modal stand-in. It serves a sandbox's whole life over HTTP and shuts down cleanly on SIGTERM; from
// that directory it can resolve only the production dependencies, so a runtime import of a dev
// dependency (or a file the bundle left out) fails here as it would in the image.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  ChangeSet,
  CloneResult,
  ExecResult,
  FileContent,
  SandboxInfo,
} from "../../src/protocol/sandbox";
import { type ModalStandIn, startModalStandIn } from "../stand-ins/modal";
import { type BareRepo, makeBareRepo, serviceCaller } from "./harness";

const run = promisify(execFile);
let out: string;
let repo: BareRepo;
let modal: ModalStandIn;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "sandbox-image-"));
  // The same script, with the same arguments' meaning, as the Dockerfile's two stages.
  await run(process.execPath, ["scripts/build-service.mjs", "--out", out], { maxBuffer: 16 << 20 });
  repo = await makeBareRepo({ "a.txt": "a\n", "b.txt": "b\n" });
  modal = await startModalStandIn({ exposedPaths: [repo.dir] });
}, 300_000);
afterAll(async () => {
  await modal?.close();
  await repo?.cleanup();
  if (out) await rm(out, { recursive: true, force: true });
});

interface Server {
  child: ChildProcess;
  output(): string;
}

/** `CMD ["node", "dist/sandbox-service.mjs"]` in WORKDIR, with the image's ENV and a Modal config. */
function startBundle(env: Record<string, string>): Server {
  let output = "";
  const child = spawn(process.execPath, ["dist/sandbox-service.mjs"], {
    cwd: out,
    env: { PATH: process.env.PATH ?? "", NODE_ENV: "production", SANDBOX_BACKEND: "modal", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  return { child, output: () => output };
}

async function waitForLine(server: Server, text: string): Promise<void> {
  while (!server.output().includes(text)) {
    if (server.child.exitCode !== null) throw new Error(`service exited: ${server.output()}`);
    await Promise.race([once(server.child.stdout ?? server.child, "data"), once(server.child, "exit")]);
  }
}

describe("the built image's contents", () => {
  it("holds the bundle and the locked production packages, and no dev-only package", async () => {
    const lock = JSON.parse(await readFile("package-lock.json", "utf8")) as {
      packages: Record<string, { dev?: boolean; optional?: boolean }>;
    };
    expect(existsSync(join(out, "dist/sandbox-service.mjs"))).toBe(true);
    const installed = Object.entries(lock.packages).filter(([path]) =>
      /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path),
    );
    const devOnly = installed.filter(([, entry]) => entry.dev).map(([path]) => path);
    expect(devOnly).toContain("node_modules/wrangler");
    for (const path of devOnly) expect(existsSync(join(out, path)), path).toBe(false);
    for (const [path, entry] of installed)
      if (!entry.dev && !entry.optional) expect(existsSync(join(out, path, "package.json")), path).toBe(true);
    // Our own sources are in the bundle, not beside it.
    expect(existsSync(join(out, "src"))).toBe(false);
  });
});

describe("the bundle, started as the image starts it, with SANDBOX_BACKEND=modal", () => {
  it("serves a sandbox's whole life over HTTP, then stops cleanly on SIGTERM", async () => {
    const token = randomBytes(16).toString("hex");
    const server = startBundle({
      SANDBOX_SERVICE_TOKEN: token,
      MODAL_TOKEN_ID: modal.tokenId,
      MODAL_TOKEN_SECRET: modal.tokenSecret,
      MODAL_SERVER_URL: modal.url,
      MODAL_LOGLEVEL: "error",
      MODAL_APP_NAME: "image-test",
      HOST: "127.0.0.1",
      PORT: "0",
    });
    try {
      await waitForLine(server, "sandbox service listening");
      const url = /"url":"([^"]+)"/.exec(server.output())?.[1] ?? "";
      const call = serviceCaller(url, token);
      expect((await call("GET", "/healthz", undefined, null)).body).toEqual({ ok: true, backend: "modal" });
      expect((await call("GET", "/v1/sandboxes", undefined, null)).status).toBe(401);

      const created = await call<SandboxInfo>("POST", "/v1/sandboxes", { jobId: "image-life" });
      expect(created.status).toBe(201);
      const id = created.body.id;
      expect(created.body).toMatchObject({ id: "image-life", jobId: "image-life", backend: "modal" });
      // The stand-in keys its sandboxes by Modal's own id; ours are job ids, found by tag.
      const atModal = (jobId: string) => [...modal.sandboxes.values()].find((s) => s.tags.jobId === jobId);
      expect(atModal(id)?.task.terminated).toBe(false);

      const cloned = await call<CloneResult>("POST", `/v1/sandboxes/${id}/clone`, { url: repo.url });
      expect(cloned.status).toBe(200);
      expect(cloned.body).toEqual({ headSha: repo.headSha, treeSha: repo.treeSha, ref: "main" });

      const listed = await call<ExecResult>("POST", `/v1/sandboxes/${id}/exec`, {
        argv: ["sh", "-c", "cat a.txt && git rev-parse HEAD"],
      });
      expect(listed.body).toMatchObject({ exitCode: 0, timedOut: false });
      expect(listed.body.output).toBe(`a\n${repo.headSha}\n`);

      const content = Buffer.from("written through the image\n").toString("base64");
      const put = await call("PUT", `/v1/sandboxes/${id}/files`, {
        path: "new/c.txt",
        contentBase64: content,
      });
      expect(put.status).toBe(204);
      const read = await call<FileContent>("GET", `/v1/sandboxes/${id}/files?path=new/c.txt`);
      expect(read.body).toEqual({ path: "new/c.txt", contentBase64: content, mode: "100644" });
      const removed = await call<ExecResult>("POST", `/v1/sandboxes/${id}/exec`, { argv: ["rm", "b.txt"] });
      expect(removed.body.exitCode).toBe(0);

      const changes = await call<ChangeSet>("GET", `/v1/sandboxes/${id}/changes`);
      expect(changes.body.baseSha).toBe(repo.headSha);
      expect(changes.body.changes).toEqual([
        { path: "b.txt", status: "deleted" },
        expect.objectContaining({
          path: "new/c.txt",
          status: "added",
          mode: "100644",
          size: 26,
          binary: false,
        }),
      ]);

      expect((await call("DELETE", `/v1/sandboxes/${id}`)).status).toBe(204);
      expect(atModal(id)?.task.terminated).toBe(true);
      expect((await call("GET", `/v1/sandboxes/${id}`)).status).toBe(404);

      // One sandbox left running: SIGTERM (a deploy) stops the process, exit 0, and keeps the
      // sandbox for the next process, which adopts it (sandbox-service restart tests).
      const left = await call<SandboxInfo>("POST", "/v1/sandboxes", { jobId: "image-left" });
      expect(left.status).toBe(201);
      server.child.kill("SIGTERM");
      const [code] = await once(server.child, "exit");
      expect(code, server.output()).toBe(0);
      expect(atModal(left.body.id)?.task.terminated).toBe(false);
      expect(modal.unimplemented).toEqual([]);
      const lines = server.output().trim().split("\n");
      for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
      expect(lines.at(-1)).toContain('"stopped; sandboxes kept for the next process"');
      for (const secret of [token, modal.tokenSecret]) expect(server.output()).not.toContain(secret);
    } finally {
      if (server.child.exitCode === null) server.child.kill("SIGKILL");
    }
  });
});
