// File reads and writes through the real service: round trips, modes, path checks, and symlinks
// that try to reach the host's files (refused, or confined to the sandbox's own filesystem).
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecResult, FileContent, SandboxInfo } from "../../src/protocol/sandbox";
import { b64, type Harness, startHarness } from "./harness";

let h: Harness;
let sandbox: SandboxInfo;
let hostDir: string;

beforeAll(async () => {
  h = await startHarness();
  sandbox = await h.sandbox();
  hostDir = await mkdtemp(join(tmpdir(), "sandbox-host-"));
});
afterAll(async () => {
  await h?.close();
  await rm(hostDir, { recursive: true, force: true });
});

const files = (): string => `/v1/sandboxes/${sandbox.id}/files`;
const read = (path: string) => h.call<FileContent>("GET", `${files()}?path=${encodeURIComponent(path)}`);
const write = (path: string, content: string | Uint8Array, mode?: string) =>
  h.call("PUT", files(), { path, contentBase64: b64(content), ...(mode ? { mode } : {}) });
const exec = async (argv: string[]) =>
  (await h.call<ExecResult>("POST", `/v1/sandboxes/${sandbox.id}/exec`, { argv })).body;

describe("files", () => {
  it("writes and reads back bytes, creating parent directories", async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect((await write("deep/er/bytes.bin", bytes)).status).toBe(204);
    const reply = await read("./deep/er/bytes.bin");
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ path: "deep/er/bytes.bin", mode: "100644" });
    expect(Buffer.from(reply.body.contentBase64, "base64")).toEqual(Buffer.from(bytes));
    expect((await exec(["wc", "-c", "deep/er/bytes.bin"])).output).toBe("256 deep/er/bytes.bin\n");
  });

  it("sets and reports the executable bit, and makes symlinks", async () => {
    expect((await write("run.sh", "#!/bin/sh\necho ran\n", "100755")).status).toBe(204);
    expect((await read("run.sh")).body.mode).toBe("100755");
    expect((await exec(["./run.sh"])).output).toBe("ran\n");
    expect((await write("run-link", "run.sh", "120000")).status).toBe(204);
    expect((await exec(["readlink", "run-link"])).output).toBe("run.sh\n");
  });

  it("refuses bad paths with 400, missing files with 404, directories with 400", async () => {
    for (const path of ["../outside", "/etc/passwd", "a/../../b", "", "."]) {
      expect((await read(path)).status, path).toBe(400);
      expect((await write(path, "x")).status, path).toBe(400);
    }
    expect((await read("nope.txt")).status).toBe(404);
    expect((await read("deep")).status).toBe(400);
  });

  it("does not follow a symlink out of the sandbox on read", async () => {
    const hostFile = join(hostDir, "host-secret.txt");
    await writeFile(hostFile, "host secret\n");
    await exec(["ln", "-s", "/etc/shadow", "shadow-link"]);
    await exec(["ln", "-s", hostFile, "host-link"]);
    await exec(["ln", "-s", "/proc/1/root/etc/shadow", "proc-link"]);
    for (const link of ["shadow-link", "host-link", "proc-link"]) {
      const reply = await read(link);
      expect(reply.status, link).toBe(404);
      expect(JSON.stringify(reply.body)).not.toContain("host secret");
    }
  });

  it("does not write through a symlink to the host", async () => {
    const hostFile = join(hostDir, `target-${randomBytes(4).toString("hex")}.txt`);
    await writeFile(hostFile, "original\n");
    await exec(["ln", "-s", hostFile, "write-link"]);
    await exec(["ln", "-s", hostDir, "dir-link"]);
    await write("write-link", "overwritten\n");
    // Both land in the sandbox's private /tmp (or fail): never in the host's directory.
    await write("dir-link/new-file.txt", "escaped\n");
    await exec(["ln", "-s", "/etc/passwd", "passwd-link"]);
    expect((await write("passwd-link", "root::0:0::/:/bin/sh\n")).status).toBe(409);
    expect(await readFile(hostFile, "utf8")).toBe("original\n");
    await expect(readFile(join(hostDir, "new-file.txt"))).rejects.toThrow(/ENOENT/);
    expect(await readFile("/etc/passwd", "utf8")).not.toContain("root::0:0::/:/bin/sh");
  });
});
