// Environments on the local backend, over HTTP against the real service: the setup phase has the
// host's network and the agent phase none (in one sandbox), exec's env and cwd, the cache of
// set-up environments (save, warm create, the warm clone that moves to a new commit, TTL, LRU,
// never across repositories), and a restarted service that keeps the phase and the cache.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  CloneResult,
  EnvironmentReady,
  ExecResult,
  SandboxEnvironment,
  SandboxInfo,
} from "../../src/protocol/sandbox";
import { environmentReadySchema, sandboxInfoSchema } from "../../src/protocol/sandbox-schemas";
import { type RunningService, startService } from "../../src/sandbox-service/app";
import { createLocalBackend } from "../../src/sandbox-service/backends/local";
import type { EnvCacheLimits } from "../../src/sandbox-service/env-cache";
import { sandboxName } from "../../src/sandbox-service/job-name";
import { type BareRepo, git, type Harness, makeBareRepo, serviceCaller } from "./harness";

interface Service {
  call: Harness["call"];
  running: RunningService;
}

const LIMITS: EnvCacheLimits = { ttlHours: 72, maxEntries: 20, maxBytes: 20 * 1024 ** 3 };

/** The service on a local backend over `root`, its cache bounded by `limits` and timed by `clock`. */
async function startOn(root: string, limits = LIMITS, clock?: { now: number }): Promise<Service> {
  const token = randomBytes(24).toString("hex");
  const now = clock ? () => new Date(clock.now) : undefined;
  const backend = await createLocalBackend({ root, envCache: limits, ...(now ? { now } : {}) });
  const running = await startService({ backend, token, port: 0, host: "127.0.0.1" });
  return { call: serviceCaller(running.url, token), running };
}

const jobId = (): string => `job-${randomBytes(6).toString("hex")}`;

async function create(s: Service, environment?: SandboxEnvironment, id = jobId()): Promise<SandboxInfo> {
  const reply = await s.call<SandboxInfo>("POST", "/v1/sandboxes", { jobId: id, environment });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return sandboxInfoSchema.parse(reply.body);
}

async function exec(s: Service, sandbox: SandboxInfo, body: Record<string, unknown>): Promise<ExecResult> {
  const reply = await s.call<ExecResult>("POST", `/v1/sandboxes/${sandbox.id}/exec`, body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body;
}

const sh = (script: string): { argv: string[] } => ({ argv: ["sh", "-c", script] });

async function clone(s: Service, sandbox: SandboxInfo, url: string, extra = {}): Promise<CloneResult> {
  const reply = await s.call<CloneResult>("POST", `/v1/sandboxes/${sandbox.id}/clone`, { url, ...extra });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body;
}

async function begin(s: Service, sandbox: SandboxInfo): Promise<void> {
  const reply = await s.call("POST", `/v1/sandboxes/${sandbox.id}/environment/begin`);
  expect(reply).toMatchObject({ status: 200, body: { phase: "setup" } });
}

async function ready(s: Service, sandbox: SandboxInfo, save: boolean): Promise<EnvironmentReady> {
  const reply = await s.call("POST", `/v1/sandboxes/${sandbox.id}/environment/ready`, { save });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return environmentReadySchema.parse(reply.body);
}

/** A set-up sandbox of `environment` on `url`: cloned, a setup that fills node_modules and HOME, saved. */
async function setUp(s: Service, environment: SandboxEnvironment, url: string): Promise<EnvironmentReady> {
  const sandbox = await create(s, environment);
  await clone(s, sandbox, url);
  await begin(s, sandbox);
  const setup = await exec(
    s,
    sandbox,
    sh(
      "mkdir -p node_modules/x ~/.cache/tool && echo dep > node_modules/x/index.js && echo home > ~/.cache/tool/state",
    ),
  );
  expect(setup.exitCode).toBe(0);
  return ready(s, sandbox, true);
}

/** Fetches `url` from inside the sandbox: the body, or a failure and curl's message. */
const fetchIn = (url: string) => sh(`curl -sS --max-time 5 ${url} || echo "fetch failed: $?"`);

describe("environments on the local backend", () => {
  let repo: BareRepo;
  let root: string;
  let s: Service;
  let loopback: Server;
  let loopbackUrl: string;

  beforeAll(async () => {
    repo = await makeBareRepo({
      "app.txt": "v1\n",
      "old.txt": "only in the first commit\n",
      ".gitignore": "node_modules/\n",
    });
    root = await mkdtemp(join(tmpdir(), "sandbox-env-"));
    s = await startOn(root);
    loopback = createServer((_, res) => res.end("from the loopback registry\n"));
    await new Promise<void>((resolve) => loopback.listen(0, "127.0.0.1", resolve));
    loopbackUrl = `http://127.0.0.1:${(loopback.address() as AddressInfo).port}/pkg`;
  });
  afterAll(async () => {
    await s?.running.close();
    loopback?.close();
    await rm(root, { recursive: true, force: true });
    await repo?.cleanup();
  });

  it("gives setup commands the host's network and agent commands none, in one sandbox; begin after ready is 409", async () => {
    const sandbox = await create(s, { repo: "acme/net", cacheKey: "k-net" });
    expect(sandbox).toMatchObject({ warm: false });
    await clone(s, sandbox, repo.url);
    const before = await exec(s, sandbox, fetchIn(loopbackUrl));
    expect(before.output).toContain("fetch failed");
    await begin(s, sandbox);
    await begin(s, sandbox);
    const setup = await exec(s, sandbox, fetchIn(loopbackUrl));
    expect(setup.output).toBe("from the loopback registry\n");
    // The resolver configuration is there for package managers to resolve registries.
    expect((await exec(s, sandbox, { argv: ["test", "-r", "/etc/resolv.conf"] })).exitCode).toBe(0);
    const first = await ready(s, sandbox, false);
    expect(first).toEqual({ phase: "agent", saved: false, evicted: 0 });
    expect(await ready(s, sandbox, false)).toEqual(first);
    const agent = await exec(s, sandbox, fetchIn(loopbackUrl));
    expect(agent.output).toContain("fetch failed");
    expect(agent.output).not.toContain("loopback registry");
    const again = await s.call("POST", `/v1/sandboxes/${sandbox.id}/environment/begin`);
    expect(again).toMatchObject({ status: 409, body: { status: 409, retryable: false } });
    expect((await exec(s, sandbox, fetchIn(loopbackUrl))).output).toContain("fetch failed");
  });

  it("ends a setup command still running when the setup phase ends, so it cannot keep the network", async () => {
    const sandbox = await create(s, { repo: "acme/linger", cacheKey: "k-linger" });
    await clone(s, sandbox, repo.url);
    await begin(s, sandbox);
    const lingering = s.call<ExecResult>("POST", `/v1/sandboxes/${sandbox.id}/exec`, {
      ...sh("echo started > started.txt; exec sleep 600"),
      timeoutMs: 60_000,
    });
    for (;;) {
      const file = await s.call("GET", `/v1/sandboxes/${sandbox.id}/files?path=started.txt`);
      if (file.status === 200) break;
      expect(file.status).toBe(404);
    }
    expect(await ready(s, sandbox, false)).toMatchObject({ phase: "agent" });
    const ended = await lingering;
    expect(ended).toMatchObject({ status: 200, body: { exitCode: 137, timedOut: false } });
    expect(ended.body.output).toContain("the setup phase ended");
  });

  it("honours and validates exec's env and cwd", async () => {
    const sandbox = await create(s);
    await clone(s, sandbox, repo.url);
    await exec(s, sandbox, sh("mkdir sub"));
    const run = await exec(s, sandbox, {
      ...sh('echo "$GREETING $LANG $HOME"; pwd'),
      env: { GREETING: "hello world", LANG: "C" },
      cwd: "sub",
    });
    expect(run.output).toBe("hello world C /root\n/workspace/sub\n");
    expect((await exec(s, sandbox, { ...sh("pwd"), cwd: "." })).output).toBe("/workspace\n");
    await exec(s, sandbox, sh("ln -s /etc escape && ln -s sub inside"));
    expect((await exec(s, sandbox, { ...sh("pwd -P"), cwd: "inside" })).output).toBe("/workspace/sub\n");
    const refused = async (body: Record<string, unknown>, field: string): Promise<void> => {
      const reply = await s.call<{ detail: string }>("POST", `/v1/sandboxes/${sandbox.id}/exec`, {
        argv: ["true"],
        ...body,
      });
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.detail).toContain(field);
    };
    await refused({ env: { PATH: "/tmp" } }, "env.PATH");
    await refused({ env: { HOME: "/tmp" } }, "env.HOME");
    await refused({ env: { "1X": "y" } }, "env");
    await refused({ env: { "A-B": "y" } }, "env");
    await refused({ env: { A: "nul\0" } }, "env");
    await refused({ env: Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`V${i}`, "x"])) }, "env");
    await refused({ env: { BIG: "x".repeat(70_000) } }, "env");
    await refused({ cwd: "missing" }, "cwd");
    await refused({ cwd: "app.txt" }, "cwd");
    await refused({ cwd: "../.." }, "cwd");
    await refused({ cwd: "/workspace/sub" }, "cwd");
    await refused({ cwd: "escape" }, "cwd");
    // One idempotency key is one command: another environment or directory is refused.
    const keyed = { argv: ["true"], idempotencyKey: "env-1", env: { A: "1" } };
    expect((await s.call("POST", `/v1/sandboxes/${sandbox.id}/exec`, keyed)).status).toBe(200);
    const other = { ...keyed, env: { A: "2" } };
    expect((await s.call("POST", `/v1/sandboxes/${sandbox.id}/exec`, other)).status).toBe(409);
    const elsewhere = { ...keyed, cwd: "sub" };
    expect((await s.call("POST", `/v1/sandboxes/${sandbox.id}/exec`, elsewhere)).status).toBe(409);
  });

  it("saves a set-up environment and starts the next sandbox warm from it; a clone moves it to the new commit", async () => {
    const environment = { repo: "acme/app", cacheKey: "k-app" };
    const cold = await create(s, environment);
    expect(cold).toMatchObject({ warm: false });
    await clone(s, cold, repo.url);
    await begin(s, cold);
    await exec(s, cold, sh("mkdir -p node_modules/x ~/.cache/tool && echo dep > node_modules/x/index.js"));
    await exec(
      s,
      cold,
      sh("echo home > ~/.cache/tool/state && echo stray > stray.txt && echo edited > app.txt"),
    );
    const saved = await ready(s, cold, true);
    expect(saved).toMatchObject({ phase: "agent", saved: true, evicted: 0 });
    expect(saved.bytes).toBeGreaterThan(0);

    // The repository moves on: app.txt changes, old.txt goes, new.txt comes.
    const work = join(repo.dir, "work");
    await writeFile(join(work, "app.txt"), "v2\n");
    await writeFile(join(work, "new.txt"), "new\n");
    git(work, "rm", "-q", "old.txt");
    git(work, "add", "-A");
    git(work, "commit", "-q", "-m", "second");
    git(work, "push", "-q", join(repo.dir, "repo.git"), "main");
    const second = git(work, "rev-parse", "HEAD");

    const warm = await create(s, environment);
    expect(warm).toMatchObject({ warm: true });
    expect((await s.call("GET", `/v1/sandboxes/${warm.id}`)).body).toEqual(warm);
    const moved = await clone(s, warm, repo.url, { contextPaths: ["app.txt"] });
    const fresh = await clone(s, await create(s), repo.url, { contextPaths: ["app.txt"] });
    expect(moved).toEqual(fresh);
    expect(moved).toMatchObject({ headSha: second, ref: "main", files: [{ path: "app.txt", text: "v2\n" }] });
    const seen = await exec(
      s,
      warm,
      sh("cat node_modules/x/index.js ~/.cache/tool/state app.txt new.txt; ls; git status --porcelain"),
    );
    expect(seen.output).toBe("dep\nhome\nv2\nnew\napp.txt\nnew.txt\nnode_modules\n");
    const changes = await s.call<{ changes: unknown[] }>("GET", `/v1/sandboxes/${warm.id}/changes`);
    expect(changes.body.changes).toEqual([]);
    // The warm sandbox's own edit is its own: the cache and the next warm sandbox never see it.
    await exec(s, warm, sh("echo changed > node_modules/x/index.js"));
    const next = await create(s, environment);
    await clone(s, next, repo.url);
    expect((await exec(s, next, sh("cat node_modules/x/index.js"))).output).toBe("dep\n");
    // Saving the same key again is dropped: the first entry stays.
    await begin(s, next);
    expect(await ready(s, next, true)).toEqual({ phase: "agent", saved: false, evicted: 0 });
  });

  it("never shares an entry across repositories, and one save of a key wins", async () => {
    const key = "k-shared";
    expect((await setUp(s, { repo: "acme/one", cacheKey: key }, repo.url)).saved).toBe(true);
    const other = await create(s, { repo: "acme/two", cacheKey: key });
    expect(other).toMatchObject({ warm: false });
    expect((await exec(s, other, sh("ls -A; ls -A ~"))).output).toBe("");
    const twins = [
      await create(s, { repo: "acme/race", cacheKey: key }),
      await create(s, { repo: "acme/race", cacheKey: key }),
    ];
    for (const twin of twins) {
      await clone(s, twin, repo.url);
      await begin(s, twin);
      await exec(s, twin, sh("mkdir -p node_modules && echo a > node_modules/a"));
    }
    const results = await Promise.all(twins.map((twin) => ready(s, twin, true)));
    expect(results.map((r) => r.saved).sort()).toEqual([false, true]);
    expect((await create(s, { repo: "acme/race", cacheKey: key })).warm).toBe(true);
  });

  it("refuses to save for a sandbox created without an environment", async () => {
    const plain = await create(s);
    expect(plain.warm).toBeUndefined();
    const reply = await s.call("POST", `/v1/sandboxes/${plain.id}/environment/ready`, { save: true });
    expect(reply.status).toBe(409);
    expect(await ready(s, plain, false)).toEqual({ phase: "agent", saved: false, evicted: 0 });
    const bad = await s.call("POST", "/v1/sandboxes", {
      jobId: jobId(),
      environment: { repo: "no-slash", cacheKey: "k" },
    });
    expect(bad.status).toBe(400);
  });

  it("notes that the local backend ignores a devcontainer image", async () => {
    const sandbox = await create(s, {
      repo: "acme/img",
      cacheKey: "k-img",
      image: "mcr.microsoft.com/devcontainers/base",
    });
    expect(sandbox.notes).toEqual([
      "the local backend ignores devcontainer image mcr.microsoft.com/devcontainers/base; commands run on this host's tools",
    ]);
  });
});

describe("the environment cache's bounds", () => {
  let repo: BareRepo;
  beforeAll(async () => {
    repo = await makeBareRepo({ "a.txt": "a\n", ".gitignore": "node_modules/\n" });
  });
  afterAll(async () => {
    await repo?.cleanup();
  });

  const entryDirs = async (root: string): Promise<string[]> =>
    (await readdir(join(root, "env-cache"))).filter((name) => name.startsWith("entry-"));

  it("evicts the least recently used past ENV_CACHE_MAX_ENTRIES and expires entries unused for ENV_CACHE_TTL_HOURS", async () => {
    const root = await mkdtemp(join(tmpdir(), "sandbox-env-bounds-"));
    const clock = { now: Date.parse("2026-01-01T00:00:00Z") };
    const s = await startOn(root, { ttlHours: 1, maxEntries: 2, maxBytes: LIMITS.maxBytes }, clock);
    try {
      const env = (key: string) => ({ repo: "acme/lru", cacheKey: key });
      const tick = (ms: number): void => {
        clock.now += ms;
      };
      // A warm sandbox's copy from the cache goes on after `create` answers, and the entry stays in
      // use (spared by the bounds) until it is over; the clone waits for it, so after this the
      // entry is free again when the clock moves on.
      const reuse = async (key: string): Promise<boolean | undefined> => {
        const sandbox = await create(s, env(key));
        if (sandbox.warm) await clone(s, sandbox, repo.url);
        return sandbox.warm;
      };
      expect((await setUp(s, env("k1"), repo.url)).evicted).toBe(0);
      tick(1000);
      expect((await setUp(s, env("k2"), repo.url)).evicted).toBe(0);
      tick(1000);
      // k1 is used again, so k2 is now the least recently used.
      expect(await reuse("k1")).toBe(true);
      tick(1000);
      expect(await setUp(s, env("k3"), repo.url)).toMatchObject({ saved: true, evicted: 1 });
      expect(await reuse("k2")).toBe(false);
      expect(await reuse("k1")).toBe(true);
      expect(await entryDirs(root)).toHaveLength(2);
      // Past the TTL since last use: gone, and its directory with it.
      tick(61 * 60_000);
      expect(await reuse("k3")).toBe(false);
      expect(await reuse("k1")).toBe(false);
      expect(await entryDirs(root)).toEqual([]);
    } finally {
      await s.running.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it("does not keep an environment larger than ENV_CACHE_MAX_BYTES", async () => {
    const root = await mkdtemp(join(tmpdir(), "sandbox-env-bytes-"));
    const s = await startOn(root, { ttlHours: 72, maxEntries: 20, maxBytes: 1024 });
    try {
      const sandbox = await create(s, { repo: "acme/big", cacheKey: "k" });
      await clone(s, sandbox, repo.url);
      await begin(s, sandbox);
      await exec(s, sandbox, sh("mkdir node_modules && head -c 65536 /dev/zero > node_modules/blob"));
      expect(await ready(s, sandbox, true)).toEqual({ phase: "agent", saved: false, evicted: 0 });
      expect((await create(s, { repo: "acme/big", cacheKey: "k" })).warm).toBe(false);
      expect(await entryDirs(root)).toEqual([]);
    } finally {
      await s.running.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe("environments across a restart", () => {
  it("keeps the phase and the cache", async () => {
    const repo = await makeBareRepo({ "a.txt": "a\n", ".gitignore": "node_modules/\n" });
    const root = await mkdtemp(join(tmpdir(), "sandbox-env-restart-"));
    const loopback = createServer((_, res) => res.end("reached\n"));
    await new Promise<void>((resolve) => loopback.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(loopback.address() as AddressInfo).port}/`;
    try {
      const first = await startOn(root);
      const environment = { repo: "acme/restart", cacheKey: "k" };
      expect((await setUp(first, environment, repo.url)).saved).toBe(true);
      const inSetup = await create(first, environment);
      await clone(first, inSetup, repo.url);
      await begin(first, inSetup);
      const sealed = await create(first);
      const sealedReady = await ready(first, sealed, false);
      await first.running.close({ keepSandboxes: true });

      const second = await startOn(root);
      expect((await second.call("GET", `/v1/sandboxes/${inSetup.id}`)).body).toEqual(inSetup);
      expect((await exec(second, inSetup, fetchIn(url))).output).toBe("reached\n");
      expect(await ready(second, sealed, false)).toEqual(sealedReady);
      expect((await second.call("POST", `/v1/sandboxes/${sealed.id}/environment/begin`)).status).toBe(409);
      expect((await exec(second, sealed, fetchIn(url))).output).toContain("fetch failed");
      const warm = await create(second, environment);
      expect(warm.warm).toBe(true);
      await clone(second, warm, repo.url);
      expect((await exec(second, warm, sh("cat node_modules/x/index.js ~/.cache/tool/state"))).output).toBe(
        "dep\nhome\n",
      );

      // A warm start cut off mid-copy (its mark left, the copy not all there) is copied again.
      const cut = await create(second, environment);
      expect(cut.warm).toBe(true);
      // Waits for the copy, which the restart below pretends was cut off before the clone.
      await exec(second, cut, { argv: ["true"] });
      await ready(second, inSetup, false);
      await second.running.close({ keepSandboxes: true });
      const cutDir = join(root, sandboxName(cut.id));
      await rm(join(cutDir, "workspace", "node_modules"), { recursive: true });
      await writeFile(join(cutDir, "state", "restoring"), "");

      const third = await startOn(root);
      expect((await exec(third, inSetup, fetchIn(url))).output).toContain("fetch failed");
      await clone(third, cut, repo.url);
      expect((await exec(third, cut, sh("cat node_modules/x/index.js a.txt"))).output).toBe("dep\na\n");
      expect(existsSync(join(cutDir, "state", "restoring"))).toBe(false);
      await third.running.close();
      expect(existsSync(join(root, "env-cache", "index.json"))).toBe(true);
    } finally {
      loopback.close();
      await rm(root, { recursive: true, force: true });
      await repo.cleanup();
    }
  });
});
