// What only the Modal backend does, seen at the Modal stand-in: how sandboxes are created (tags,
// name, lifetimes, resources, network allowlist), the clone-only policy, replacing a job's stale
// sandbox, the startup sweep of orphans, and the real server process: startup errors, JSON logs
// without secrets, and a SIGTERM that terminates every sandbox.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SandboxInfo } from "../../src/protocol/sandbox";
import { ModalBackend } from "../../src/sandbox-service/backends/modal";
import {
  DEFAULT_ALLOWED_DOMAINS,
  type ModalBackendOptions,
} from "../../src/sandbox-service/backends/modal-config";
import { sweepOrphans } from "../../src/sandbox-service/janitor";
import { type ModalStandIn, startModalStandIn } from "../stand-ins/modal";
import { type BareRepo, makeBareRepo } from "./harness";

let modal: ModalStandIn;
let repo: BareRepo;
const backends: ModalBackend[] = [];

function backend(overrides: Partial<ModalBackendOptions> = {}): ModalBackend {
  const made = new ModalBackend({
    tokenId: modal.tokenId,
    tokenSecret: modal.tokenSecret,
    appName: "modal-backend-tests",
    cpu: 1.5,
    memoryMiB: 2048,
    timeoutSeconds: 1800,
    idleTimeoutSeconds: 600,
    network: "allowlist",
    allowedDomains: DEFAULT_ALLOWED_DOMAINS,
    serviceTag: "modal-backend-tests",
    ...overrides,
  });
  backends.push(made);
  return made;
}

beforeAll(async () => {
  repo = await makeBareRepo({ "a.txt": "a\n" });
  modal = await startModalStandIn({ exposedPaths: [repo.dir] });
  process.env.MODAL_SERVER_URL = modal.url;
  process.env.MODAL_LOGLEVEL = "error";
});
afterAll(async () => {
  await Promise.all(backends.map((b) => b.close()));
  await modal?.close();
  await repo?.cleanup();
});

describe("modal backend at the stand-in", () => {
  it("terminates a sandbox it did not create only when it carries the service's tag", async () => {
    const other = backend({ serviceTag: "someone-else" });
    const { sandbox: foreign } = await other.create(`foreign-${randomBytes(3).toString("hex")}`);
    const mine = backend();
    await mine.terminate(foreign.id);
    expect(modal.sandboxes.get(foreign.id)?.task.terminated).toBe(false);
    const { sandbox: ours } = await backend().create(`ours-${randomBytes(3).toString("hex")}`);
    await mine.terminate(ours.id);
    expect(modal.sandboxes.get(ours.id)?.task.terminated).toBe(true);
    await mine.terminate("sbx-unknown");
  });

  it("creates a tagged, named sandbox with lifetimes, resources and the default allowlist, in a created app", async () => {
    const b = backend();
    const { sandbox } = await b.create("job/with:odd chars");
    const record = modal.sandboxes.get(sandbox.id);
    expect(record?.tags).toEqual({ service: "modal-backend-tests", jobId: "job/with:odd chars" });
    expect(record?.name).toMatch(/^job-job-with-odd-chars-[0-9a-f]{12}$/);
    expect(record?.definition).toMatchObject({
      timeoutSecs: 1800,
      idleTimeoutSecs: 600,
      workdir: "/workspace",
      resources: { milliCpu: 1500, memoryMb: 2048 },
      networkAccess: { networkAccessType: 3, allowedDomains: DEFAULT_ALLOWED_DOMAINS },
    });
    expect(modal.apps.has("modal-backend-tests")).toBe(true);
    const [image] = [...modal.images.values()].filter((c) => c.some((line) => line.includes("apt-get")));
    expect(image?.join("\n")).toMatch(/git[\s\S]*build-essential/);
  });

  it("clone-only: the clone has network, then the sandbox gets none", async () => {
    const b = backend({ network: "clone-only" });
    const { sandbox } = await b.create(`clone-only-${randomBytes(3).toString("hex")}`);
    await b.clone(sandbox.id, { url: repo.url });
    expect(modal.sandboxes.get(sandbox.id)?.network).toMatchObject({ allowedDomains: [], allowedCidrs: [] });
  });

  it("replaces a job's sandbox left by an earlier process, and sweeps orphans at startup", async () => {
    const earlier = backend();
    const jobId = `restarted-${randomBytes(3).toString("hex")}`;
    const { sandbox: old } = await earlier.create(jobId);
    const orphan = (await earlier.create(`orphan-${randomBytes(3).toString("hex")}`)).sandbox;
    const later = backend();
    const { sandbox: fresh } = await later.create(jobId);
    expect(fresh.id).not.toBe(old.id);
    expect(modal.sandboxes.get(old.id)?.task.terminated).toBe(true);
    const swept = await sweepOrphans(later);
    expect(swept.map((s) => s.id)).toContain(orphan.id);
    expect(swept.map((s) => s.id)).not.toContain(fresh.id);
    expect(modal.sandboxes.get(orphan.id)?.task.terminated).toBe(true);
  });
});

function startServer(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = "";
  const child = spawn(process.execPath, ["--import", "tsx", "src/sandbox-service/server.ts"], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { child, output: () => output };
}

async function waitForLine(
  server: { child: ChildProcess; output: () => string },
  text: string,
): Promise<void> {
  while (!server.output().includes(text)) {
    if (server.child.exitCode !== null) throw new Error(`server exited: ${server.output()}`);
    await once(server.child.stdout ?? server.child, "data");
  }
}

describe("server process with SANDBOX_BACKEND=modal", () => {
  it("refuses to start without Modal credentials, saying which", async () => {
    const server = startServer({ SANDBOX_BACKEND: "modal", SANDBOX_SERVICE_TOKEN: "t" });
    const [code] = await once(server.child, "exit");
    expect(code).toBe(1);
    expect(server.output()).toContain("MODAL_TOKEN_ID and MODAL_TOKEN_SECRET");
  });

  it("serves, logs JSON without secrets, and terminates its sandboxes on SIGTERM", async () => {
    const token = randomBytes(16).toString("hex");
    const server = startServer({
      SANDBOX_BACKEND: "modal",
      SANDBOX_SERVICE_TOKEN: token,
      MODAL_TOKEN_ID: modal.tokenId,
      MODAL_TOKEN_SECRET: modal.tokenSecret,
      MODAL_SERVER_URL: modal.url,
      MODAL_LOGLEVEL: "error",
      MODAL_APP_NAME: "server-process-test",
      PORT: "0",
    });
    await waitForLine(server, "sandbox service listening");
    const url = /"url":"([^"]+)"/.exec(server.output())?.[1] ?? "";
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const health = await (await fetch(`${url}/healthz`)).json();
    expect(health).toEqual({ ok: true, backend: "modal" });
    const created = (await (
      await fetch(`${url}/v1/sandboxes`, {
        method: "POST",
        headers,
        body: JSON.stringify({ jobId: "sigterm" }),
      })
    ).json()) as SandboxInfo;
    expect(modal.sandboxes.get(created.id)?.task.terminated).toBe(false);
    server.child.kill("SIGTERM");
    const [code] = await once(server.child, "exit");
    expect(code).toBe(0);
    expect(modal.sandboxes.get(created.id)?.task.terminated).toBe(true);
    const lines = server.output().trim().split("\n");
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    for (const secret of [token, modal.tokenSecret, modal.tokenId])
      expect(server.output()).not.toContain(secret);
  });
});
