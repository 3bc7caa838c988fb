// Exec through the real service and real bubblewrap: environment, network, filesystem, output
// caps, timeouts that kill the whole tree, stdin and idempotency keys.
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ExecResult, SandboxInfo } from "../../src/protocol/sandbox";
import { b64, type Harness, processesMatching, startHarness } from "./harness";

const SECRET = `fake-secret-${randomBytes(8).toString("hex")}`;
let h: Harness;
let sandbox: SandboxInfo;

beforeAll(async () => {
  process.env.SANDBOX_TEST_FAKE_SECRET = SECRET;
  h = await startHarness();
  sandbox = await h.sandbox();
});
afterAll(async () => {
  delete process.env.SANDBOX_TEST_FAKE_SECRET;
  await h?.close();
});

async function exec(body: Record<string, unknown>): Promise<ExecResult> {
  const reply = await h.call<ExecResult>("POST", `/v1/sandboxes/${sandbox.id}/exec`, body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body;
}

describe("isolation", () => {
  it("runs argv in /workspace with only the fixed environment", async () => {
    const result = await exec({ argv: ["sh", "-c", "pwd; env"] });
    expect(result.exitCode).toBe(0);
    expect(result.output).toContain("/workspace\n");
    expect(result.output).toContain("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    expect(result.output).toContain("CI=true");
    expect(result.output).not.toContain(SECRET);
    expect(result.output).not.toContain(h.token);
    expect(result.output).not.toContain("SANDBOX_TEST_FAKE_SECRET");
  });

  it("has no network, not even to a loopback server of the host", async () => {
    let connections = 0;
    const server: Server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      const result = await exec({ argv: ["bash", "-c", `echo hi > /dev/tcp/127.0.0.1/${port}`] });
      expect(result.exitCode).not.toBe(0);
      expect(result.output).toMatch(/refused|unreachable/i);
      expect(connections).toBe(0);
      const interfaces = await exec({ argv: ["cat", "/proc/net/dev"] });
      expect(interfaces.output).not.toMatch(/eth|ens|veth/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("cannot write outside /workspace, and sees only an allow-list of /etc", async () => {
    for (const target of [
      "/usr/pwned",
      "/etc/pwned",
      "/etc/passwd",
      "/etc/ssl/pwned",
      "/pwned",
      "/bin/pwned",
    ]) {
      const result = await exec({ argv: ["sh", "-c", `echo x > ${target}`] });
      expect(result.exitCode, target).not.toBe(0);
    }
    const ok = await exec({
      argv: ["sh", "-c", "echo x > /workspace/ok && echo y > /tmp/scratch && cat ok"],
    });
    expect(ok).toMatchObject({ exitCode: 0, output: "x\n" });
    const etc = await exec({ argv: ["ls", "/etc"] });
    expect(etc.output).toContain("passwd");
    expect(etc.output).not.toMatch(/shadow|npmrc|pip\.conf/);
    const caps = await exec({ argv: ["grep", "CapEff", "/proc/self/status"] });
    expect(caps.output).toContain("0000000000000000");
  });

  it("interleaves stdout and stderr and reports the exit status", async () => {
    const result = await exec({ argv: ["sh", "-c", "echo one; echo two >&2; echo three; exit 3"] });
    expect(result).toMatchObject({
      exitCode: 3,
      output: "one\ntwo\nthree\n",
      truncated: false,
      timedOut: false,
    });
    expect((await exec({ argv: ["no-such-command"] })).exitCode).toBe(127);
    expect((await exec({ argv: ["sh", "-c", "kill -9 $$"] })).exitCode).toBe(137);
  });

  it("feeds stdinBase64 to the command", async () => {
    const result = await exec({ argv: ["tr", "a-z", "A-Z"], stdinBase64: b64("hello sandbox") });
    expect(result.output).toBe("HELLO SANDBOX");
  });
});

describe("limits", () => {
  it("cuts 5 MB+ of output to head and tail with a marker", async () => {
    // `seq 1 1000000` prints 6,888,896 bytes; 1 MiB is kept.
    const result = await exec({ argv: ["seq", "1", "1000000"] });
    expect(result.truncated).toBe(true);
    expect(result.output).toContain(`\n[… ${(6_888_896 - 1_048_576).toLocaleString("en-US")} bytes cut …]\n`);
    expect(result.output.startsWith("1\n2\n3\n")).toBe(true);
    expect(result.output.endsWith("999999\n1000000\n")).toBe(true);
    expect(Buffer.byteLength(result.output)).toBeLessThan(1_048_576 + 100);
    const small = await exec({ argv: ["seq", "1", "1000"], maxOutputBytes: 100 });
    expect(small.output).toMatch(/^1\n2\n[\s\S]*\n\[… [\d,]+ bytes cut …\]\n[\s\S]*\n1000\n$/);
  });

  it("kills a command that outlives its timeout with exit code 124", async () => {
    // The kill, not its latency (bench/sandbox-timeout.ts measures that): the command had started,
    // its sleep is gone from the host, and it never reached its last step.
    const marker = `28${randomBytes(3).readUIntBE(0, 3)}`;
    const script = `echo started; sleep 30.${marker}; echo finished > finished`;
    const result = await exec({ argv: ["sh", "-c", script], timeoutMs: 1000 });
    expect(result).toMatchObject({ exitCode: 124, timedOut: true, output: "started\n" });
    await vi.waitFor(async () => expect(await processesMatching(`30.${marker}`)).toEqual([]), {
      timeout: 3000,
    });
    expect((await exec({ argv: ["sh", "-c", "test -e finished || echo not finished"] })).output).toBe(
      "not finished\n",
    );
  });

  it("kills a backgrounded child too, on timeout and on normal exit", async () => {
    const marker = `29${randomBytes(3).readUIntBE(0, 3)}`;
    const script = `sleep 300.${marker} & echo started > bg-started; wait`;
    const result = await exec({ argv: ["sh", "-c", script], timeoutMs: 500 });
    expect(result).toMatchObject({ exitCode: 124, timedOut: true });
    expect((await exec({ argv: ["cat", "bg-started"] })).output).toBe("started\n");
    // The kernel kills the rest of the pid namespace when its init exits; reaping can lag a moment.
    await vi.waitFor(async () => expect(await processesMatching(`300.${marker}`)).toEqual([]), {
      timeout: 3000,
    });

    const detached = await exec({
      argv: ["sh", "-c", `(setsid sleep 301.${marker} >/dev/null 2>&1 &); echo ok`],
    });
    expect(detached).toMatchObject({ exitCode: 0, output: "ok\n" });
    await vi.waitFor(async () => expect(await processesMatching(`301.${marker}`)).toEqual([]), {
      timeout: 3000,
    });
  });
});

describe("idempotency", () => {
  it("runs a command once per key and returns the first result to repeats", async () => {
    const body = { argv: ["sh", "-c", "echo x >> counter; wc -l < counter"], idempotencyKey: "step-1" };
    const [first, concurrent] = await Promise.all([exec(body), exec(body)]);
    const again = await exec(body);
    expect(first.output).toBe("1\n");
    expect(concurrent).toEqual(first);
    expect(again).toEqual(first);
    expect((await exec({ argv: ["cat", "counter"] })).output).toBe("x\n");
    const other = await exec({ ...body, idempotencyKey: "step-2" });
    expect(other.output).toBe("2\n");
  });

  it("refuses a key reused for a different command", async () => {
    await exec({ argv: ["true"], idempotencyKey: "step-3" });
    const reply = await h.call("POST", `/v1/sandboxes/${sandbox.id}/exec`, {
      argv: ["false"],
      idempotencyKey: "step-3",
    });
    expect(reply.status).toBe(409);
  });
});
