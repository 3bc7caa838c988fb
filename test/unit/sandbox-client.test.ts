// The Worker's sandbox client checks every reply against the protocol's schemas: real replies of
// the real service pass; a malformed one is a SandboxError naming the field (not retryable: a
// service speaking another protocol), and a page that is not JSON stays retryable (a proxy's).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SandboxError } from "../../src/worker/errors";
import { SandboxService } from "../../src/worker/sandbox";
import { type BareRepo, type Harness, makeBareRepo, startHarness } from "../sandbox-service/harness";

/** A client whose every request is answered with `body` and `status`. */
function answering(body: string, status = 200, type = "application/json"): SandboxService {
  const fetcher: typeof fetch = async () => new Response(body, { status, headers: { "content-type": type } });
  return new SandboxService("http://sandbox.invalid", "token", fetcher);
}

async function failure(work: Promise<unknown>): Promise<SandboxError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SandboxError);
  return error as SandboxError;
}

describe("sandbox client replies", () => {
  let h: Harness;
  let repo: BareRepo;
  beforeAll(async () => {
    h = await startHarness();
    repo = await makeBareRepo({ "a.txt": "a\n" });
  });
  afterAll(async () => {
    await h?.close();
    await repo?.cleanup();
  });

  it("accepts the real service's replies, by job id, with the clone's base passed back", async () => {
    const client = new SandboxService(h.url, h.token);
    const info = await client.create("job/client test");
    expect(info.id).toBe("job/client test");
    const { headSha } = await client.clone(info.id, { url: repo.url });
    const result = await client.sandbox(info.id).exec(["sh", "-c", "echo b > b.txt"], { timeoutMs: 10_000 });
    expect(result.exitCode).toBe(0);
    const changes = await client.changes(info.id, headSha);
    expect(changes.baseSha).toBe(headSha);
    expect(changes.changes.map((c) => c.path)).toEqual(["b.txt"]);
    await client.terminate(info.id);
    await client.terminate(info.id);
  });

  it("rejects a reply missing a field, naming it, as not retryable", async () => {
    const reply = JSON.stringify({ output: "", truncated: false, timedOut: false, durationMs: 1 });
    const error = await failure(answering(reply).sandbox("job").exec(["true"], { timeoutMs: 1000 }));
    expect(error.message).toMatch(/malformed reply — exitCode:/);
    expect(error.retryable).toBe(false);
  });

  it("rejects a change set whose base is not a sha, naming the field", async () => {
    const error = await failure(answering(JSON.stringify({ baseSha: "HEAD", changes: [] })).changes("job"));
    expect(error.message).toMatch(/baseSha: must be a full lowercase git sha/);
    expect(error.retryable).toBe(false);
  });

  it("keeps a page that is not JSON retryable, whether it says 200 or 502", async () => {
    const page = "<html>bad gateway</html>";
    const ok = await failure(answering(page, 200, "text/html").create("job"));
    expect(ok.retryable).toBe(true);
    const gateway = await failure(answering(page, 502, "text/html").create("job"));
    expect(gateway).toMatchObject({ status: 502, retryable: true });
  });
});
