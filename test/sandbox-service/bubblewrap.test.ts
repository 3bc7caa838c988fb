// Finding bubblewrap: BWRAP_PATH over PATH, and a missing one answered with how to fix it — by the
// service's entry point at startup, and by the HTTP API on create. Also the `python`/`pip` links the
// jail adds when the host has only `python3`/`pip3`.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SandboxProblem } from "../../src/protocol/sandbox";
import { startService } from "../../src/sandbox-service/app";
import { createLocalBackend } from "../../src/sandbox-service/backends/local";
import { locateBwrap } from "../../src/sandbox-service/bwrap-path";
import { SHIM_DIR, toolShims } from "../../src/sandbox-service/isolate";
import { serviceCaller } from "./harness";

const run = promisify(execFile);
const REMEDY = /apt-get install -y bubblewrap[\s\S]*SANDBOX_BACKEND=modal/;

/** Starts the real entry point with `env` only; resolves with its exit code and output once it exits. */
async function startServer(env: Record<string, string>): Promise<{ code: number; output: string }> {
  const args = ["--import", "tsx", "src/sandbox-service/server.ts"];
  try {
    const { stdout, stderr } = await run(process.execPath, args, { env, timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

describe("bubblewrap location", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "bwrap-path-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("the service refuses to start when BWRAP_PATH names a missing file, saying how to install it", async () => {
    const missing = join(dir, "no-such-bwrap");
    const { code, output } = await startServer({
      SANDBOX_SERVICE_TOKEN: randomBytes(16).toString("hex"),
      BWRAP_PATH: missing,
      PORT: "0",
    });
    expect(code).toBe(1);
    expect(output).toContain(`BWRAP_PATH=${missing} is not an executable file`);
    expect(output).toMatch(REMEDY);
  });

  it("the service refuses to start when no bwrap is on PATH", async () => {
    const { code, output } = await startServer({
      SANDBOX_SERVICE_TOKEN: randomBytes(16).toString("hex"),
      PATH: dir,
      PORT: "0",
    });
    expect(code).toBe(1);
    expect(output).toContain("bubblewrap (bwrap) is not on PATH");
    expect(output).toMatch(REMEDY);
  });

  it("a create through the API answers 503 with the remedy when bwrap is gone", async () => {
    const root = await mkdtemp(join(tmpdir(), "bwrap-gone-"));
    const backend = await createLocalBackend({ root, bwrapPath: join(dir, "uninstalled-bwrap") });
    const token = randomBytes(16).toString("hex");
    const service = await startService({ backend, token, port: 0, host: "127.0.0.1" });
    try {
      const reply = await serviceCaller(service.url, token)<SandboxProblem>("POST", "/v1/sandboxes", {
        jobId: "no-bwrap",
      });
      expect(reply.status).toBe(503);
      expect(reply.body).toMatchObject({ title: "bubblewrap missing", retryable: false });
      expect(reply.body.detail).toMatch(REMEDY);
      expect((await serviceCaller(service.url, token)("GET", "/v1/sandboxes")).body).toEqual({
        sandboxes: [],
      });
    } finally {
      await service.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it("BWRAP_PATH wins over PATH; PATH is searched in order; a non-executable file does not count", async () => {
    const first = join(dir, "first");
    const second = join(dir, "second");
    const plain = join(dir, "plain");
    for (const d of [first, second, plain]) await run("mkdir", ["-p", d]);
    for (const d of [first, second]) {
      await writeFile(join(d, "bwrap"), "#!/bin/sh\n");
      await chmod(join(d, "bwrap"), 0o755);
    }
    await writeFile(join(plain, "bwrap"), "not executable\n");
    expect(locateBwrap({ PATH: `${plain}:${second}:${first}` })).toBe(join(second, "bwrap"));
    expect(locateBwrap({ PATH: second, BWRAP_PATH: join(first, "bwrap") })).toBe(join(first, "bwrap"));
    expect(() => locateBwrap({ BWRAP_PATH: join(plain, "bwrap") })).toThrow(REMEDY);
  });
});

describe("python and pip links", () => {
  const has = (present: string[]) => (path: string) => present.includes(path);

  it("links python → python3 and pip → pip3 only where the alias is missing", () => {
    expect(toolShims(["/usr/local/bin", "/usr/bin"], has(["/usr/bin/python3", "/usr/bin/pip3"]))).toEqual([
      { link: `${SHIM_DIR}/python`, target: "/usr/bin/python3" },
      { link: `${SHIM_DIR}/pip`, target: "/usr/bin/pip3" },
    ]);
    const complete = ["/usr/bin/python", "/usr/bin/python3", "/usr/local/bin/pip", "/usr/bin/pip3"];
    expect(toolShims(["/usr/local/bin", "/usr/bin"], has(complete))).toEqual([]);
    expect(toolShims(["/usr/bin"], has([]))).toEqual([]);
  });
});
