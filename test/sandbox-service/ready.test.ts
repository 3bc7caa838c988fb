// GET /v1/ready over HTTP against the real service: the local backend proves bubblewrap by running
// a jailed `true` (and reports bwrap's failure when it cannot), the Modal backend proves its
// credentials with an authenticated call to the Modal stand-in, which refuses wrong ones as Modal does.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningService, startService } from "../../src/sandbox-service/app";
import { createLocalBackend } from "../../src/sandbox-service/backends/local";
import { ModalBackend } from "../../src/sandbox-service/backends/modal";
import { DEFAULT_ALLOWED_DOMAINS } from "../../src/sandbox-service/backends/modal-config";
import type { Backend } from "../../src/sandbox-service/backends/types";
import { type ModalStandIn, startModalStandIn } from "../stand-ins/modal";
import { serviceCaller } from "./harness";

const token = "ready-test-token-0123456789abcdef";
const running: RunningService[] = [];
let root: string;

async function serve(backend: Backend) {
  const service = await startService({ backend, token, port: 0, host: "127.0.0.1" });
  running.push(service);
  return serviceCaller(service.url, token);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ready-test-"));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("GET /v1/ready, local backend", () => {
  it("runs a jailed true and answers ok, leaving nothing in the root; needs the token", async () => {
    const dir = join(root, "working");
    const call = await serve(await createLocalBackend({ root: dir }));
    const reply = await call("GET", "/v1/ready");
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ ok: true, backend: "local" });
    expect(reply.body.ms).toBeGreaterThanOrEqual(0);
    expect(await readdir(dir)).toEqual([]);
    const anonymous = await call("GET", "/v1/ready", undefined, null);
    expect(anonymous.status).toBe(401);
  });

  it("answers 503 naming the bwrap path when bwrap is not there", async () => {
    const missing = join(root, "no-such-bwrap");
    const call = await serve(await createLocalBackend({ root: join(root, "missing"), bwrapPath: missing }));
    const reply = await call("GET", "/v1/ready");
    expect(reply.status).toBe(503);
    expect(reply.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(reply.body).toMatchObject({ title: "backend not ready", status: 503, retryable: true });
    expect(reply.body.detail).toContain(`bubblewrap failed: ${missing} is not an executable file`);
  });

  it("answers 503 with the exit status when the binary runs but the jail does not start", async () => {
    // An executable that exits 1 without a word, where bwrap would have started the jail.
    const call = await serve(
      await createLocalBackend({ root: join(root, "failing"), bwrapPath: "/bin/false" }),
    );
    const reply = await call("GET", "/v1/ready");
    expect(reply.status).toBe(503);
    expect(reply.body.detail).toBe("bubblewrap failed: exit 1 with no message");
  });
});

describe("GET /v1/ready, Modal backend at the stand-in", () => {
  let modal: ModalStandIn;
  beforeAll(async () => {
    modal = await startModalStandIn();
    process.env.MODAL_SERVER_URL = modal.url;
    process.env.MODAL_LOGLEVEL = "error";
  });
  afterAll(async () => {
    await modal?.close();
  });

  function modalBackend(tokenId: string, tokenSecret: string): ModalBackend {
    return new ModalBackend({
      tokenId,
      tokenSecret,
      appName: "ready-tests",
      cpu: 1,
      memoryMiB: 1024,
      timeoutSeconds: 600,
      idleTimeoutSeconds: 300,
      network: "allowlist",
      allowedDomains: DEFAULT_ALLOWED_DOMAINS,
      serviceTag: "ready-tests",
      stateDir: join(root, "modal-state"),
    });
  }

  it("answers ok when Modal takes the credentials, with one lookup that creates nothing", async () => {
    const call = await serve(modalBackend(modal.tokenId, modal.tokenSecret));
    const before = modal.calls.length;
    const reply = await call("GET", "/v1/ready");
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ ok: true, backend: "modal" });
    const made = modal.calls.slice(before).filter((c) => c !== "ModalClient/AuthTokenGet");
    expect(made).toEqual(["ModalClient/AppGetOrCreate"]);
  });

  it("answers 503 saying the credentials were refused once Modal revokes them, without echoing them", async () => {
    // The service starts with good credentials (startup adopts sandboxes, which needs them);
    // then the token is revoked at Modal, as an operator rotating it would.
    const call = await serve(modalBackend(modal.tokenId, modal.tokenSecret));
    const { tokenSecret } = modal;
    modal.tokenSecret = `as-rotated-${"0".repeat(24)}`;
    try {
      const reply = await call("GET", "/v1/ready");
      expect(reply.status).toBe(503);
      expect(reply.body).toMatchObject({ title: "backend not ready", status: 503 });
      expect(reply.body.detail).toBe("Modal credentials were refused (MODAL_TOKEN_ID / MODAL_TOKEN_SECRET)");
      expect(JSON.stringify(reply.body)).not.toContain(tokenSecret);
      expect(JSON.stringify(reply.body)).not.toContain(modal.tokenId);
    } finally {
      modal.tokenSecret = tokenSecret;
    }
  });
});
