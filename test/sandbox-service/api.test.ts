// The HTTP surface: auth, validation, problem+json, sandbox lifecycle (create, list, terminate).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SandboxInfo, SandboxProblem } from "../../src/protocol/sandbox";
import { type Harness, startHarness } from "./harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

function expectProblem(
  reply: { status: number; body: unknown; headers: Headers },
  status: number,
): SandboxProblem {
  expect(reply.status).toBe(status);
  expect(reply.headers.get("content-type")).toContain("application/problem+json");
  const problem = reply.body as SandboxProblem;
  expect(problem.status).toBe(status);
  expect(typeof problem.title).toBe("string");
  expect(typeof problem.retryable).toBe("boolean");
  return problem;
}

describe("auth", () => {
  it("serves /healthz without a token", async () => {
    const reply = await h.call("GET", "/healthz", undefined, null);
    expect(reply).toMatchObject({ status: 200, body: { ok: true, backend: "local" } });
  });

  it("refuses /v1 without a token, with a wrong one, and with a non-bearer scheme", async () => {
    expectProblem(await h.call("GET", "/v1/sandboxes", undefined, null), 401);
    const wrong = await h.call("POST", "/v1/sandboxes", { jobId: "x" }, `${h.token}x`);
    expect(expectProblem(wrong, 401).retryable).toBe(false);
    expect(wrong.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const basic = await fetch(`${h.url}/v1/sandboxes`, { headers: { authorization: `Basic ${h.token}` } });
    expect(basic.status).toBe(401);
    expect((await h.call<{ sandboxes: SandboxInfo[] }>("GET", "/v1/sandboxes")).status).toBe(200);
  });
});

describe("validation", () => {
  it("answers 400 naming the field for bad bodies", async () => {
    const sandbox = await h.sandbox();
    const exec = `/v1/sandboxes/${sandbox.id}/exec`;
    expect(expectProblem(await h.call("POST", "/v1/sandboxes", {}), 400).detail).toContain("jobId");
    expect(expectProblem(await h.call("POST", exec, { argv: [] }), 400).detail).toContain("argv");
    expect(expectProblem(await h.call("POST", exec, { argv: ["ls", 3] }), 400).detail).toContain("argv.1");
    expect(
      expectProblem(await h.call("POST", exec, { argv: ["ls"], timeoutMs: 3_600_000 }), 400).detail,
    ).toContain("timeoutMs");
    expect(
      expectProblem(await h.call("POST", exec, { argv: ["ls"], maxOutputBytes: 9e6 }), 400).detail,
    ).toContain("maxOutputBytes");
    expect(
      expectProblem(await h.call("POST", exec, { argv: ["ls"], stdinBase64: "%%%" }), 400).detail,
    ).toContain("stdinBase64");
    expect(expectProblem(await h.call("POST", exec, "{not json"), 400).detail).toContain("JSON");
    const clone = `/v1/sandboxes/${sandbox.id}/clone`;
    expect(expectProblem(await h.call("POST", clone, { url: "ssh://github.com/a/b" }), 400).detail).toContain(
      "url",
    );
    expect(expectProblem(await h.call("POST", clone, { url: "git@github.com:a/b" }), 400).detail).toContain(
      "url",
    );
    const ref = { url: "https://github.com/a/b", ref: "--upload-pack=evil" };
    expect(expectProblem(await h.call("POST", clone, ref), 400).detail).toContain("ref");
  });

  it("answers 415 for a body that is not JSON", async () => {
    const response = await fetch(`${h.url}/v1/sandboxes`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.token}`, "content-type": "text/plain" },
      body: "jobId=1",
    });
    expect(response.status).toBe(415);
  });

  it("answers 404 problems for unknown sandboxes and routes", async () => {
    const unknown = "00000000-0000-4000-8000-000000000000";
    expectProblem(await h.call("GET", `/v1/sandboxes/${unknown}`), 404);
    expectProblem(await h.call("POST", `/v1/sandboxes/${unknown}/exec`, { argv: ["true"] }), 404);
    expectProblem(await h.call("GET", "/v1/nothing-here"), 404);
  });
});

describe("lifecycle", () => {
  it("creates idempotently on jobId, addressed by the job id", async () => {
    const first = await h.call<SandboxInfo>("POST", "/v1/sandboxes", { jobId: "job-idem" });
    const second = await h.call<SandboxInfo>("POST", "/v1/sandboxes", { jobId: "job-idem" });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(first.body).toMatchObject({ id: "job-idem", jobId: "job-idem" });
    const other = await h.call<SandboxInfo>("POST", "/v1/sandboxes", { jobId: "job-other" });
    expect(other.body.id).not.toBe(first.body.id);
  });

  it("lists, terminates (idempotently), then answers 404", async () => {
    const sandbox = await h.sandbox();
    const listed = await h.call<{ sandboxes: SandboxInfo[] }>("GET", "/v1/sandboxes");
    expect(listed.body.sandboxes.map((s) => s.id)).toContain(sandbox.id);
    expect((await h.call("GET", `/v1/sandboxes/${sandbox.id}`)).body).toEqual(sandbox);

    const running = h.call("POST", `/v1/sandboxes/${sandbox.id}/exec`, { argv: ["sleep", "30"] });
    expect((await h.call("DELETE", `/v1/sandboxes/${sandbox.id}`)).status).toBe(204);
    expectProblem(await running, 404);
    expect((await h.call("DELETE", `/v1/sandboxes/${sandbox.id}`)).status).toBe(204);
    expectProblem(await h.call("GET", `/v1/sandboxes/${sandbox.id}`), 404);
    expectProblem(await h.call("POST", `/v1/sandboxes/${sandbox.id}/exec`, { argv: ["true"] }), 404);
    expectProblem(await h.call("GET", `/v1/sandboxes/${sandbox.id}/files?path=a`), 404);
    const after = await h.call<{ sandboxes: SandboxInfo[] }>("GET", "/v1/sandboxes");
    expect(after.body.sandboxes.map((s) => s.id)).not.toContain(sandbox.id);
  });
});
