// Environments on the Modal backend, seen at the Modal stand-in through the real service over
// HTTP: a cold setup saved as a filesystem snapshot, a warm sandbox started from that image and
// moved to the job's branch head, a devcontainer image passed to the create, the network in each
// phase under `clone-only` and `allowlist`, the phase kept across a service restart, a snapshot
// Modal no longer has, and exec's env and cwd. Also the stand-in's own strictness, through the SDK.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { ModalClient, NotFoundError } from "modal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  CloneResult,
  EnvironmentReady,
  ExecResult,
  SandboxEnvironment,
  SandboxInfo,
} from "../../src/protocol/sandbox";
import { startService } from "../../src/sandbox-service/app";
import { ModalBackend } from "../../src/sandbox-service/backends/modal";
import type { ModalBackendOptions } from "../../src/sandbox-service/backends/modal-config";
import { serveGitHttp } from "../stand-ins/git-http";
import { listenLoopback, readBody } from "../stand-ins/loopback-server";
import { type ModalStandIn, startModalStandIn } from "../stand-ins/modal";
import { type BareRepo, git, makeBareRepo, serviceCaller } from "./harness";

const ALLOWED = ["github.com", "registry.npmjs.org"];
const ROUTER = "TaskCommandRouter";

let modal: ModalStandIn;
let repo: BareRepo;
let stateRoot: string;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  repo = await makeBareRepo({ ".gitignore": "node_modules/\n", "a.txt": "a\n" });
  stateRoot = await mkdtemp(join(tmpdir(), "modal-env-"));
  modal = await startModalStandIn({ exposedPaths: [repo.dir] });
  process.env.MODAL_SERVER_URL = modal.url;
  process.env.MODAL_LOGLEVEL = "error";
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await modal?.close();
  await repo?.cleanup();
  await rm(stateRoot, { recursive: true, force: true });
});

/** The service over HTTP on a Modal backend whose records live in `state` (a restart reuses it). */
async function service(state: string, overrides: Partial<ModalBackendOptions> = {}) {
  const backend = new ModalBackend({
    tokenId: modal.tokenId,
    tokenSecret: modal.tokenSecret,
    appName: "modal-env-tests",
    cpu: 1,
    memoryMiB: 1024,
    timeoutSeconds: 600,
    idleTimeoutSeconds: 300,
    network: "allowlist",
    allowedDomains: ALLOWED,
    serviceTag: "modal-env-tests",
    stateDir: join(stateRoot, state),
    ...overrides,
  });
  const token = randomBytes(16).toString("hex");
  const running = await startService({ backend, token, port: 0, host: "127.0.0.1" });
  const call = serviceCaller(running.url, token);
  const close = (keepSandboxes = false) => running.close({ keepSandboxes });
  closers.push(() => close());
  const path = (id: string, rest: string) => `/v1/sandboxes/${encodeURIComponent(id)}${rest}`;
  return {
    call,
    close,
    url: running.url,
    token,
    create: async (jobId: string, environment?: SandboxEnvironment) => {
      const reply = await call<SandboxInfo>("POST", "/v1/sandboxes", { jobId, environment });
      expect(reply.status, JSON.stringify(reply.body)).toBe(201);
      return reply.body;
    },
    clone: async (id: string, ref = "main") => {
      const reply = await call<CloneResult>("POST", path(id, "/clone"), { url: repo.url, ref });
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      return reply.body;
    },
    sh: async (id: string, script: string, extra: { env?: Record<string, string>; cwd?: string } = {}) => {
      const reply = await call<ExecResult>("POST", path(id, "/exec"), {
        argv: ["sh", "-c", script],
        ...extra,
      });
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      return reply.body;
    },
    begin: (id: string) => call("POST", path(id, "/environment/begin")),
    ready: (id: string, save: boolean) =>
      call<EnvironmentReady>("POST", path(id, "/environment/ready"), { save }),
  };
}

const atModal = (jobId: string) =>
  [...modal.sandboxes.values()].find((s) => s.tags.jobId === jobId && !s.task.terminated);
const jobId = (label: string) => `${label}-${randomBytes(4).toString("hex")}`;
const environment = (cacheKey: string, image?: string): SandboxEnvironment => ({
  repo: "acme/widgets",
  cacheKey,
  ...(image ? { image } : {}),
});

/** A new commit on the bare repo's `main`: the warm sandbox must end up there, not at the cached one. */
async function pushCommit(file: string): Promise<string> {
  const work = join(repo.dir, "work");
  await writeFile(join(work, file), `${file}\n`);
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", `add ${file}`);
  git(work, "push", "-q", join(repo.dir, "repo.git"), "main");
  return git(work, "rev-parse", "HEAD");
}

describe("modal backend environments", () => {
  it("saves a cold setup as a snapshot and starts the next job of the key from it, moved to the branch head", async () => {
    const s = await service("cache");
    const key = `key-${randomBytes(4).toString("hex")}`;
    const cold = await s.create(jobId("cold"), environment(key));
    expect(cold).toMatchObject({ warm: false });
    expect(atModal(cold.jobId)?.image.snapshotOf).toBeUndefined();
    const first = await s.clone(cold.id);
    expect((await s.begin(cold.id)).body).toEqual({ phase: "setup" });
    const setup = await s.sh(
      cold.id,
      "mkdir -p node_modules/dep && echo installed > node_modules/dep/index.js && echo home > ~/.setup-done && echo scratch > scratch.txt",
    );
    expect(setup.exitCode).toBe(0);
    const snapshotsBefore = modal.calls.filter((c) => c === `${ROUTER}/TaskSnapshotFilesystem`).length;
    const ready = await s.ready(cold.id, true);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ phase: "agent", saved: true, evicted: 0 });
    expect(modal.calls.filter((c) => c === `${ROUTER}/TaskSnapshotFilesystem`).length).toBe(
      snapshotsBefore + 1,
    );
    // A repeat answers the first result without a second snapshot.
    expect((await s.ready(cold.id, true)).body).toEqual(ready.body);
    expect(modal.calls.filter((c) => c === `${ROUTER}/TaskSnapshotFilesystem`).length).toBe(
      snapshotsBefore + 1,
    );
    const [snapshot] = [...modal.snapshots.values()].filter((x) => x.sandboxId === atModal(cold.jobId)?.id);
    expect(snapshot).toBeDefined();

    const head = await pushCommit(`b-${randomBytes(3).toString("hex")}.txt`);
    const warm = await s.create(jobId("warm"), environment(key));
    expect(warm.warm).toBe(true);
    expect(warm.notes?.join(" ")).toContain(snapshot?.imageId);
    expect(atModal(warm.jobId)?.image).toMatchObject({
      imageId: snapshot?.imageId,
      snapshotOf: atModal(cold.jobId)?.id,
    });
    const moved = await s.clone(warm.id);
    expect(moved).toMatchObject({ headSha: head, ref: "main" });
    expect(moved.headSha).not.toBe(first.headSha);
    expect(moved.treeSha).toBe(git(join(repo.dir, "work"), "rev-parse", "HEAD^{tree}"));
    const look = await s.sh(
      warm.id,
      "cat node_modules/dep/index.js ~/.setup-done; test -e scratch.txt && echo scratch-left; git status --porcelain; git rev-parse --abbrev-ref HEAD@{upstream}; git remote get-url origin",
    );
    expect(look.output).toBe(`installed\nhome\norigin/main\n${repo.url}\n`);
  });

  it("another repository, or another key, never starts from that snapshot", async () => {
    const s = await service("cache");
    const key = `key-${randomBytes(4).toString("hex")}`;
    const cold = await s.create(jobId("cold"), environment(key));
    await s.clone(cold.id);
    await s.begin(cold.id);
    expect((await s.ready(cold.id, true)).body).toMatchObject({ saved: true });
    const other = await s.create(jobId("other"), { repo: "acme/other", cacheKey: key });
    expect(other.warm).toBe(false);
    expect(atModal(other.jobId)?.image.snapshotOf).toBeUndefined();
    const changed = await s.create(jobId("changed"), environment(`${key}-lockfile-changed`));
    expect(changed.warm).toBe(false);
  });

  it("creates a cold sandbox from the devcontainer's registry image, and says so", async () => {
    const s = await service("image");
    const image = "mcr.microsoft.com/devcontainers/typescript-node:1-20-bookworm";
    const sandbox = await s.create(
      jobId("image"),
      environment(`key-${randomBytes(4).toString("hex")}`, image),
    );
    expect(sandbox.warm).toBe(false);
    expect(sandbox.notes?.join(" ")).toContain(image);
    expect(atModal(sandbox.jobId)?.image.registryTag).toBe(image);
    const plain = await s.create(jobId("plain"));
    expect(atModal(plain.jobId)?.image.registryTag).toBe("debian:bookworm-slim");
    expect(plain).not.toHaveProperty("warm");
  });

  it("clone-only: the setup phase gets the allowlist, the agent phase nothing, also after a restart", async () => {
    const first = await service("clone-only", { network: "clone-only" });
    const sandbox = await first.create(jobId("net"), environment(`key-${randomBytes(4).toString("hex")}`));
    const record = () => atModal(sandbox.jobId)?.network;
    await first.clone(sandbox.id);
    expect(record()).toMatchObject({ allowedDomains: [], allowedCidrs: [] });
    expect((await first.begin(sandbox.id)).status).toBe(200);
    expect(record()).toMatchObject({ allowedDomains: ALLOWED });
    // A restarted service keeps the phase: ready shuts the network, a later begin is refused.
    await first.close(true);
    const later = await service("clone-only", { network: "clone-only" });
    expect((await later.ready(sandbox.id, false)).body).toEqual({ phase: "agent", saved: false, evicted: 0 });
    expect(record()).toMatchObject({ allowedDomains: [], allowedCidrs: [] });
    const again = await later.begin(sandbox.id);
    expect(again.status).toBe(409);
    expect(record()).toMatchObject({ allowedDomains: [], allowedCidrs: [] });
  });

  it("allowlist: the sandbox keeps the allowlist through both phases", async () => {
    const s = await service("allowlist");
    const sandbox = await s.create(jobId("allow"), environment(`key-${randomBytes(4).toString("hex")}`));
    await s.clone(sandbox.id);
    await s.begin(sandbox.id);
    await s.ready(sandbox.id, false);
    const definition = atModal(sandbox.jobId)?.definition as {
      networkAccess?: { allowedDomains?: string[] };
    };
    expect(definition.networkAccess?.allowedDomains).toEqual(ALLOWED);
    // No runtime change at all: the allowlist it was created with stands (a file:// clone needs no widening).
    expect(atModal(sandbox.jobId)?.network).toBeUndefined();
  });

  it("starts cold, saying why, when Modal no longer has the snapshot image", async () => {
    const s = await service("expired");
    const key = `key-${randomBytes(4).toString("hex")}`;
    const cold = await s.create(jobId("cold"), environment(key));
    await s.clone(cold.id);
    await s.begin(cold.id);
    await s.ready(cold.id, true);
    const [snapshot] = [...modal.snapshots.values()].filter((x) => x.sandboxId === atModal(cold.jobId)?.id);
    modal.expireSnapshot(snapshot?.imageId ?? "");
    const next = await s.create(jobId("next"), environment(key));
    expect(next.warm).toBe(false);
    expect(next.notes?.join(" ")).toMatch(/gone at Modal/);
    expect(atModal(next.jobId)?.image.snapshotOf).toBeUndefined();
  });

  it("runs a command with the request's env and cwd", async () => {
    const s = await service("exec");
    const sandbox = await s.create(jobId("exec"));
    await s.clone(sandbox.id);
    await s.sh(sandbox.id, "mkdir -p pkg/sub");
    const run = await s.sh(sandbox.id, 'printf "%s %s" "$GREETING" "$(pwd)"', {
      env: { GREETING: "hello there" },
      cwd: "pkg/sub",
    });
    expect(run).toMatchObject({ exitCode: 0, output: "hello there /workspace/pkg/sub" });
  });

  it("moves a warm sandbox through a ticketed git proxy: the ticket on every request, then nowhere; the proxy's host let through for the move only", async () => {
    const ticket = randomBytes(24).toString("base64url");
    const bare = repo.url.replace(/^file:\/\//, "");
    const seen: (string | undefined)[] = [];
    const proxy = await listenLoopback(async (req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      seen.push(req.headers.authorization);
      const body = await readBody(req);
      if (req.headers.authorization !== `Bearer ${ticket}`) {
        res.writeHead(401, { "content-type": "text/plain" });
        res.end("A valid clone ticket is required.\n");
        return;
      }
      await serveGitHttp(req, res, {
        projectRoot: dirname(bare),
        home: repo.dir,
        pathInfo: `/${basename(bare)}${url.pathname.replace(/^\/git\/job/, "")}`,
        query: url.search.slice(1),
        body,
      });
    });
    closers.push(() => proxy.close());
    const s = await service("proxy");
    const key = `key-${randomBytes(4).toString("hex")}`;
    const cold = await s.create(jobId("cold"), environment(key));
    await s.clone(cold.id);
    await s.begin(cold.id);
    await s.sh(cold.id, "mkdir -p node_modules && echo kept > node_modules/k");
    await s.ready(cold.id, true);
    const head = await pushCommit(`c-${randomBytes(3).toString("hex")}.txt`);
    const warm = await s.create(jobId("warm"), environment(key));
    expect(warm.warm).toBe(true);
    const before = modal.calls.filter((c) => c.endsWith("TaskSetNetworkAccess")).length;
    const reply = await fetch(`${s.url}/v1/sandboxes/${warm.id}/clone`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${s.token}`,
        "content-type": "application/json",
        "clone-ticket": ticket,
      },
      body: JSON.stringify({
        url: `${proxy.origin}/git/job`,
        remoteUrl: "https://github.com/acme/widgets.git",
      }),
    });
    expect(reply.status, await reply.clone().text()).toBe(200);
    expect(((await reply.json()) as CloneResult).headSha).toBe(head);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.every((a) => a === `Bearer ${ticket}`)).toBe(true);
    // Widened for the move, then back to the allowlist.
    expect(modal.calls.filter((c) => c.endsWith("TaskSetNetworkAccess")).length).toBe(before + 2);
    expect(atModal(warm.jobId)?.network).toMatchObject({ allowedDomains: ALLOWED, allowedCidrs: [] });
    const look = await s.sh(
      warm.id,
      "cat node_modules/k; git remote get-url origin; env; cat .git/config; ls -a /tmp; grep -r -a -l -i 'extra[h]eader' .git; echo grep=$?",
    );
    expect(look.output).toMatch(/^kept\nhttps:\/\/github\.com\/acme\/widgets\.git\n/);
    expect(look.output).toContain("grep=1");
    expect(look.output).not.toContain(ticket);
    expect(look.output).not.toContain(".warm-clone-");
  });

  it("used only calls the Modal stand-in implements", () => {
    expect(modal.unimplemented).toEqual([]);
  });
});

describe("the Modal stand-in's images, through the SDK", () => {
  it("refuses an unknown image id as Modal does, and copies a snapshot's filesystem into a sandbox made from it", async () => {
    const client = new ModalClient({ tokenId: modal.tokenId, tokenSecret: modal.tokenSecret });
    try {
      await expect(client.images.fromId("im-doesnotexist")).rejects.toBeInstanceOf(NotFoundError);
      const app = await client.apps.fromName("modal-env-sdk", { createIfMissing: true });
      const image = client.images.fromRegistry("debian:bookworm-slim");
      const source = await client.sandboxes.create(app, image, { workdir: "/workspace" });
      await (await source.exec(["sh", "-c", "echo before > /workspace/f; echo home > /root/h"])).wait();
      const snap = await source.snapshotFilesystem();
      await (await source.exec(["sh", "-c", "echo after > /workspace/f"])).wait();
      const again = await client.images.fromId(snap.imageId);
      const copy = await client.sandboxes.create(app, again, { workdir: "/workspace" });
      const read = await copy.exec(["sh", "-c", "cat /workspace/f /root/h"]);
      expect(await read.stdout.readText()).toBe("before\nhome\n");
      const record = [...modal.sandboxes.values()].find((s) => s.id === copy.sandboxId);
      expect(record?.image).toMatchObject({ imageId: snap.imageId, snapshotOf: source.sandboxId });
      await source.terminate();
      await copy.terminate();
    } finally {
      client.close();
    }
  });
});
