// What only the Modal backend does, seen at the Modal stand-in: how sandboxes are created (tags,
// name, lifetimes, resources, network allowlist), the clone-only policy, a later process taking up
// a job's sandbox by name, and the real server process: startup errors, JSON logs without secrets,
// and a SIGTERM that keeps the sandboxes for the next process.
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SandboxInfo } from "../../src/protocol/sandbox";
import { ModalBackend } from "../../src/sandbox-service/backends/modal";
import {
  DEFAULT_ALLOWED_DOMAINS,
  type ModalBackendOptions,
} from "../../src/sandbox-service/backends/modal-config";
import { type ModalStandIn, startModalStandIn } from "../stand-ins/modal";
import { type BareRepo, makeBareRepo } from "./harness";
import { listeningUrl, startServer, waitForLine } from "./server-process";

let modal: ModalStandIn;
let stateRoot: string;
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
    stateDir: join(stateRoot, overrides.serviceTag ?? "modal-backend-tests"),
    ...overrides,
  });
  backends.push(made);
  return made;
}

beforeAll(async () => {
  repo = await makeBareRepo({ "a.txt": "a\n" });
  stateRoot = await mkdtemp(join(tmpdir(), "modal-state-"));
  modal = await startModalStandIn({ exposedPaths: [repo.dir] });
  process.env.MODAL_SERVER_URL = modal.url;
  process.env.MODAL_LOGLEVEL = "error";
});
afterAll(async () => {
  await Promise.all(backends.map((b) => b.close()));
  await modal?.close();
  await repo?.cleanup();
  await rm(stateRoot, { recursive: true, force: true });
});

describe("modal backend at the stand-in", () => {
  it("terminates a sandbox it did not create only when it carries the service's tag", async () => {
    const other = backend({ serviceTag: "someone-else" });
    const { sandbox: foreign } = await other.create(`foreign-${randomBytes(3).toString("hex")}`);
    const mine = backend();
    await mine.terminate(foreign.id);
    expect(modalRecord(foreign.jobId)?.task.terminated).toBe(false);
    const { sandbox: ours } = await backend().create(`ours-${randomBytes(3).toString("hex")}`);
    await mine.terminate(ours.id);
    expect(modalRecord(ours.jobId)?.task.terminated).toBe(true);
    await mine.terminate("job-never-seen");
  });

  it("creates a tagged, named sandbox with lifetimes, resources and the default allowlist, in a created app", async () => {
    const b = backend();
    const { sandbox } = await b.create("job/with:odd chars");
    expect(sandbox.id).toBe("job/with:odd chars");
    const record = modalRecord(sandbox.jobId);
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
    expect(modalRecord(sandbox.jobId)?.network).toMatchObject({ allowedDomains: [], allowedCidrs: [] });
  });

  it("takes up a job's sandbox an earlier process left, by name, instead of replacing it", async () => {
    const earlier = backend();
    const jobId = `restarted-${randomBytes(3).toString("hex")}`;
    await earlier.create(jobId);
    const original = modalRecord(jobId);
    const later = backend();
    const again = await later.create(jobId);
    expect(again).toMatchObject({ created: false, sandbox: { id: jobId, jobId } });
    expect(modalRecord(jobId)).toBe(original);
    expect(original?.task.terminated).toBe(false);
    expect(
      (await later.exec(jobId, { argv: ["true"], timeoutMs: 10_000, maxOutputBytes: 1024 })).exitCode,
    ).toBe(0);
  });
});

/** The stand-in's record of the live sandbox of `jobId` (by its tag). */
function modalRecord(jobId: string) {
  return (
    [...modal.sandboxes.values()].find((s) => s.tags.jobId === jobId && !s.task.terminated) ??
    [...modal.sandboxes.values()].find((s) => s.tags.jobId === jobId)
  );
}

describe("server process with SANDBOX_BACKEND=modal", () => {
  it("refuses to start without Modal credentials, saying which", async () => {
    const server = startServer({ SANDBOX_BACKEND: "modal", SANDBOX_SERVICE_TOKEN: "t" });
    const [code] = await once(server.child, "exit");
    expect(code).toBe(1);
    expect(server.output()).toContain("MODAL_TOKEN_ID and MODAL_TOKEN_SECRET");
  });

  it("serves, logs JSON without secrets, and keeps its sandboxes on SIGTERM (a restart)", async () => {
    const token = randomBytes(16).toString("hex");
    const env = {
      SANDBOX_BACKEND: "modal",
      SANDBOX_SERVICE_TOKEN: token,
      MODAL_TOKEN_ID: modal.tokenId,
      MODAL_TOKEN_SECRET: modal.tokenSecret,
      MODAL_SERVER_URL: modal.url,
      MODAL_LOGLEVEL: "error",
      MODAL_APP_NAME: "server-process-test",
      SANDBOX_STATE_DIR: join(stateRoot, "server"),
      PORT: "0",
    };
    const server = startServer(env);
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
    expect(created.id).toBe("sigterm");
    expect(modalRecord("sigterm")?.task.terminated).toBe(false);
    server.child.kill("SIGTERM");
    const [code] = await once(server.child, "exit");
    expect(code).toBe(0);
    const kept = modalRecord("sigterm");
    expect(kept?.task.terminated).toBe(false);
    const next = startServer(env);
    const nextUrl = await listeningUrl(next);
    const found = await fetch(`${nextUrl}/v1/sandboxes/sigterm`, { headers });
    expect(await found.json()).toEqual(created);
    expect((await fetch(`${nextUrl}/v1/sandboxes/sigterm`, { method: "DELETE", headers })).status).toBe(204);
    expect(kept?.task.terminated).toBe(true);
    next.child.kill("SIGTERM");
    await once(next.child, "exit");
    const lines = server.output().trim().split("\n");
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    for (const secret of [token, modal.tokenSecret, modal.tokenId])
      expect(server.output()).not.toContain(secret);
  });
});
