// A restarted sandbox service (new backend instance and HTTP server, same root / state directory,
// same Modal) serves the running jobs' sandboxes again, by job id: workspace, clone record and
// exec idempotency keys survive; a key whose command the restart cut off answers "interrupted";
// start-up keeps running jobs' sandboxes, the janitor still removes ended ones, and only
// sandboxes past the maximum lifetime are reaped by the service itself.
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloneResult, ExecResult, SandboxInfo } from "../../src/protocol/sandbox";
import { sandboxName } from "../../src/sandbox-service/job-name";
import type { BackendKind } from "./contract-harness";
import { type BareRepo, b64, makeBareRepo, serviceCaller } from "./harness";
import { type Generation, type RestartHarness, startRestartHarness } from "./restart-harness";
import { listeningUrl, type ServerProcess, startServer } from "./server-process";

const JOB = "job/with:odd chars";
const ENDED = "job-ended";
const at = (jobId: string): string => `/v1/sandboxes/${encodeURIComponent(jobId)}`;
const append = { argv: ["sh", "-c", "echo line >> log.txt; echo appended"], idempotencyKey: "append-1" };
const hang = {
  argv: ["sh", "-c", "echo started > started.txt; exec sleep 600"],
  timeoutMs: 60_000,
  idempotencyKey: "hang-1",
};

/** Reads `path` from the sandbox until it exists (the hanging command has started). */
async function untilFile(g: Generation, jobId: string, path: string): Promise<void> {
  for (;;) {
    const reply = await g.call("GET", `${at(jobId)}/files?path=${path}`);
    if (reply.status === 200) return;
    expect(reply.status).toBe(404);
  }
}

describe.each<BackendKind>(["local", "modal"])("restart, %s backend", (kind) => {
  let repo: BareRepo;
  let h: RestartHarness;
  beforeAll(async () => {
    repo = await makeBareRepo({ "a.txt": "a\n" });
    h = await startRestartHarness(kind, [repo.dir]);
  });
  afterAll(async () => {
    await h?.close();
    await repo?.cleanup();
  });

  it("serves the job's sandbox again: same workspace, clone record and idempotency keys", async () => {
    const first = await h.start();
    const created = await first.call<SandboxInfo>("POST", "/v1/sandboxes", { jobId: JOB });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: JOB, jobId: JOB, backend: kind });
    expect((await first.call("POST", "/v1/sandboxes", { jobId: ENDED })).status).toBe(201);
    const cloned = await first.call<CloneResult>("POST", `${at(JOB)}/clone`, { url: repo.url });
    expect(cloned.body.headSha).toBe(repo.headSha);
    const appended = await first.call<ExecResult>("POST", `${at(JOB)}/exec`, append);
    expect(appended.body).toMatchObject({ exitCode: 0, output: "appended\n" });
    // The service's records of the sandbox are nowhere its commands can see (or forge).
    const look = [
      "sh",
      "-c",
      "find / \\( -path /proc -o -path /sys -o -path /dev \\) -prune -o \\( -name sandbox.json -o -name clone.json -o -path '*/execs/*' \\) -print 2>/dev/null; true",
    ];
    expect((await first.call<ExecResult>("POST", `${at(JOB)}/exec`, { argv: look })).body.output).toBe("");
    const hanging = first.call("POST", `${at(JOB)}/exec`, hang).catch((error: unknown) => error);
    await untilFile(first, JOB, "started.txt");
    await first.service.close({ keepSandboxes: true });
    await hanging;

    const second = await h.start();
    expect(second.service.adopted).toBe(2);
    expect((await second.call<SandboxInfo>("GET", at(JOB))).body).toEqual(created.body);
    const again = await second.call<SandboxInfo>("POST", "/v1/sandboxes", { jobId: JOB });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(created.body);

    const repeated = await second.call<ExecResult>("POST", `${at(JOB)}/exec`, append);
    expect(repeated.body).toEqual(appended.body);
    const log = await second.call<ExecResult>("POST", `${at(JOB)}/exec`, { argv: ["cat", "log.txt"] });
    expect(log.body.output).toBe("line\n");
    const reused = await second.call("POST", `${at(JOB)}/exec`, { ...append, argv: ["true"] });
    expect(reused.status).toBe(409);

    const interrupted = await second.call<ExecResult>("POST", `${at(JOB)}/exec`, hang);
    expect(interrupted.body).toMatchObject({ exitCode: 137, interrupted: true, timedOut: false });
    expect(interrupted.body.output).toMatch(/restarted while this command ran/);

    const recloned = await second.call<CloneResult>("POST", `${at(JOB)}/clone`, { url: repo.url });
    expect(recloned).toMatchObject({ status: 200, body: cloned.body });
    const put = await second.call("PUT", `${at(JOB)}/files`, {
      path: "new.txt",
      contentBase64: b64("new\n"),
    });
    expect(put.status).toBe(204);
    const withBase = await second.call<{ baseSha: string; changes: { path: string }[] }>(
      "GET",
      `${at(JOB)}/changes?base=${repo.headSha}`,
    );
    expect(withBase.body.baseSha).toBe(repo.headSha);
    expect(withBase.body.changes.map((c) => c.path).sort()).toEqual(["log.txt", "new.txt", "started.txt"]);
    const recorded = await second.call("GET", `${at(JOB)}/changes`);
    expect(recorded.body).toEqual(withBase.body);
    expect((await second.call("GET", `${at(JOB)}/changes?base=HEAD`)).status).toBe(400);

    const janitor = await second.call<{ terminated: { jobId: string }[] }>("POST", "/v1/janitor", {
      jobIds: [ENDED],
    });
    expect(janitor.body.terminated.map((s) => s.jobId)).toEqual([ENDED]);
    expect((await second.call("GET", at(ENDED))).status).toBe(404);
    expect((await second.call("GET", at(JOB))).status).toBe(200);

    expect((await second.call("DELETE", at(JOB))).status).toBe(204);
    expect((await second.call("GET", at(JOB))).status).toBe(404);
    expect((await second.call("POST", `${at(JOB)}/exec`, append)).status).toBe(404);
    expect(existsSync(join(h.root, sandboxName(JOB)))).toBe(false);
    expect(existsSync(join(h.root, "modal-state", sandboxName(JOB)))).toBe(false);
    if (h.modal) expect(h.modal.live().filter((s) => s.tags.jobId === JOB)).toEqual([]);
    await second.service.close();
  });

  it("reaps on start only the sandboxes past the maximum lifetime", async () => {
    const first = await h.start();
    expect((await first.call("POST", "/v1/sandboxes", { jobId: "job-old" })).status).toBe(201);
    await first.service.close({ keepSandboxes: true });
    const kept = await h.start(3600);
    expect((await kept.call("GET", at("job-old"))).status).toBe(200);
    await kept.service.close({ keepSandboxes: true });
    const reaping = await h.start(0);
    expect((await reaping.call("GET", at("job-old"))).status).toBe(404);
    expect(existsSync(join(h.root, sandboxName("job-old")))).toBe(false);
    if (h.modal) expect(h.modal.live().filter((s) => s.tags.jobId === "job-old")).toEqual([]);
    await reaping.service.close();
  });
});

describe("the server process, local backend", () => {
  it("keeps its sandboxes on SIGTERM; the next process on the same SANDBOX_ROOT serves them", async () => {
    const root = await mkdtemp(join(tmpdir(), "sandbox-process-"));
    const token = randomBytes(16).toString("hex");
    const env = { SANDBOX_BACKEND: "local", SANDBOX_SERVICE_TOKEN: token, SANDBOX_ROOT: root, PORT: "0" };
    const servers: ServerProcess[] = [];
    const stop = async (server: ServerProcess): Promise<number> => {
      const exited = once(server.child, "exit");
      server.child.kill("SIGTERM");
      const [code] = await exited;
      return code as number;
    };
    try {
      const first = startServer(env);
      servers.push(first);
      const call = serviceCaller(await listeningUrl(first), token);
      expect((await call("POST", "/v1/sandboxes", { jobId: JOB })).status).toBe(201);
      const appended = await call<ExecResult>("POST", `${at(JOB)}/exec`, append);
      expect(appended.body.exitCode).toBe(0);
      expect(await stop(first)).toBe(0);
      expect(first.output()).toContain("sandboxes kept for the next process");
      expect(existsSync(join(root, sandboxName(JOB), "workspace", "log.txt"))).toBe(true);

      const second = startServer(env);
      servers.push(second);
      const again = serviceCaller(await listeningUrl(second), token);
      expect((await again<ExecResult>("POST", `${at(JOB)}/exec`, append)).body).toEqual(appended.body);
      const log = await again<ExecResult>("POST", `${at(JOB)}/exec`, { argv: ["cat", "log.txt"] });
      expect(log.body.output).toBe("line\n");
      expect((await again("DELETE", at(JOB))).status).toBe(204);
      expect(await stop(second)).toBe(0);
      expect(existsSync(join(root, sandboxName(JOB)))).toBe(false);
    } finally {
      for (const server of servers) if (server.child.exitCode === null) server.child.kill("SIGKILL");
      await rm(root, { recursive: true, force: true });
    }
  });
});
