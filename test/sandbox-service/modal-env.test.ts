// Environments on the Modal backend, seen at the Modal stand-in through the real service over
// HTTP: a cold setup saved as a filesystem snapshot, a warm sandbox started from that image and
// moved to the job's branch head, a devcontainer image passed to the create, the network in each
// phase under `clone-only` and `allowlist`, the phase kept across a service restart, a snapshot
// Modal no longer has, and exec's env and cwd.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { git } from "./harness";
import { ALLOWED, environment, jobId, type ModalEnv, newKey, startModalEnv } from "./modal-env-harness";

const ROUTER = "TaskCommandRouter";

let env: ModalEnv;
beforeAll(async () => {
  env = await startModalEnv();
});
afterAll(async () => {
  await env?.close();
});
const atModal = (id: string) => env.atModal(id);

describe("modal backend environments", () => {
  it("saves a cold setup as a snapshot and starts the next job of the key from it, moved to the branch head", async () => {
    const s = await env.service("cache");
    const key = newKey();
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
    const snapshotsBefore = env.modal.calls.filter((c) => c === `${ROUTER}/TaskSnapshotFilesystem`).length;
    const ready = await s.ready(cold.id, true);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ phase: "agent", saved: true, evicted: 0 });
    expect(env.modal.calls.filter((c) => c === `${ROUTER}/TaskSnapshotFilesystem`).length).toBe(
      snapshotsBefore + 1,
    );
    // A repeat answers the first result without a second snapshot.
    expect((await s.ready(cold.id, true)).body).toEqual(ready.body);
    expect(env.modal.calls.filter((c) => c === `${ROUTER}/TaskSnapshotFilesystem`).length).toBe(
      snapshotsBefore + 1,
    );
    const [snapshot] = [...env.modal.snapshots.values()].filter(
      (x) => x.sandboxId === atModal(cold.jobId)?.id,
    );
    expect(snapshot).toBeDefined();

    const head = await env.pushCommit(`b-${randomBytes(3).toString("hex")}.txt`);
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
    expect(moved.treeSha).toBe(git(join(env.repo.dir, "work"), "rev-parse", "HEAD^{tree}"));
    const look = await s.sh(
      warm.id,
      "cat node_modules/dep/index.js ~/.setup-done; test -e scratch.txt && echo scratch-left; git status --porcelain; git rev-parse --abbrev-ref HEAD@{upstream}; git remote get-url origin",
    );
    expect(look.output).toBe(`installed\nhome\norigin/main\n${env.repo.url}\n`);
  });

  it("another repository, or another key, never starts from that snapshot", async () => {
    const s = await env.service("cache");
    const key = newKey();
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
    const s = await env.service("image");
    const image = "mcr.microsoft.com/devcontainers/typescript-node:1-20-bookworm";
    const sandbox = await s.create(jobId("image"), environment(newKey(), image));
    expect(sandbox.warm).toBe(false);
    expect(sandbox.notes?.join(" ")).toContain(image);
    expect(atModal(sandbox.jobId)?.image.registryTag).toBe(image);
    const plain = await s.create(jobId("plain"));
    expect(atModal(plain.jobId)?.image.registryTag).toBe("debian:bookworm-slim");
    expect(plain).not.toHaveProperty("warm");
  });

  it("clone-only: the setup phase gets the allowlist, the agent phase nothing, also after a restart", async () => {
    const first = await env.service("clone-only", { network: "clone-only" });
    const sandbox = await first.create(jobId("net"), environment(newKey()));
    const record = () => atModal(sandbox.jobId)?.network;
    await first.clone(sandbox.id);
    expect(record()).toMatchObject({ allowedDomains: [], allowedCidrs: [] });
    expect((await first.begin(sandbox.id)).status).toBe(200);
    expect(record()).toMatchObject({ allowedDomains: ALLOWED });
    // A restarted service keeps the phase: ready shuts the network, a later begin is refused.
    await first.close(true);
    const later = await env.service("clone-only", { network: "clone-only" });
    expect((await later.ready(sandbox.id, false)).body).toEqual({ phase: "agent", saved: false, evicted: 0 });
    expect(record()).toMatchObject({ allowedDomains: [], allowedCidrs: [] });
    const again = await later.begin(sandbox.id);
    expect(again.status).toBe(409);
    expect(record()).toMatchObject({ allowedDomains: [], allowedCidrs: [] });
  });

  it("allowlist: the sandbox keeps the allowlist through both phases", async () => {
    const s = await env.service("allowlist");
    const sandbox = await s.create(jobId("allow"), environment(newKey()));
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
    const s = await env.service("expired");
    const key = newKey();
    const cold = await s.create(jobId("cold"), environment(key));
    await s.clone(cold.id);
    await s.begin(cold.id);
    await s.ready(cold.id, true);
    const [snapshot] = [...env.modal.snapshots.values()].filter(
      (x) => x.sandboxId === atModal(cold.jobId)?.id,
    );
    env.modal.expireSnapshot(snapshot?.imageId ?? "");
    const next = await s.create(jobId("next"), environment(key));
    expect(next.warm).toBe(false);
    expect(next.notes?.join(" ")).toMatch(/gone at Modal/);
    expect(atModal(next.jobId)?.image.snapshotOf).toBeUndefined();
    // The stale entry is forgotten: this job's own setup is saved, and the one after starts warm.
    await s.clone(next.id);
    await s.begin(next.id);
    expect((await s.ready(next.id, true)).body).toMatchObject({ saved: true });
    const third = await s.create(jobId("third"), environment(key));
    expect(third.warm).toBe(true);
  });

  it("runs a command with the request's env and cwd", async () => {
    const s = await env.service("exec");
    const sandbox = await s.create(jobId("exec"));
    await s.clone(sandbox.id);
    await s.sh(sandbox.id, "mkdir -p pkg/sub");
    const run = await s.sh(sandbox.id, 'printf "%s %s" "$GREETING" "$(pwd)"', {
      env: { GREETING: "hello there" },
      cwd: "pkg/sub",
    });
    expect(run).toMatchObject({ exitCode: 0, output: "hello there /workspace/pkg/sub" });
  });

  it("used only calls the Modal stand-in implements", () => {
    expect(env.modal.unimplemented).toEqual([]);
  });
});
