// Abuse limits through the real Worker: an Idempotency-Key replays the job it started (no second
// job, no second model call), a reused key with another body is refused, and each token is a
// tenant with its own running-job cap and per-minute rate, answered 429 + Retry-After.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents } from "./sse";

let system: System;
const tokens = { idem: "tok-idem-0123456789", busy: "tok-busy-0123456789", fast: "tok-fast-0123456789" };
beforeAll(async () => {
  system = await startSystem({
    vars: { JOBS_PER_MINUTE: "3", MAX_CONCURRENT_JOBS: "2" },
    secretsOverride: {
      CODE_API_TOKENS: Object.entries(tokens)
        .map(([n, t]) => `${n}:${t}`)
        .join(","),
    },
  });
  await system.github.createRepo("acme", "api", { "README.md": "# api\n" });
});
afterAll(async () => {
  await system?.close();
});

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const edit = (file: string) => ({
  toolCalls: [{ name: "bash", arguments: { command: `echo hi > ${file}` } }],
});
const finish = { toolCalls: [{ name: "finish", arguments: { title: "Add a file", summary: "Adds it." } }] };

describe("Idempotency-Key", () => {
  it("the same key streams the same job again instead of starting a second one", async () => {
    system.openai.setScript([edit("idem.txt"), finish], "[idem]");
    const body = { repoUrl: "acme/api", prompt: "[idem] add a file" };
    const headers = { ...as(tokens.idem), "idempotency-key": "order-42" };
    const first = await postCode(system, body, headers);
    expect(first.status).toBe(200);
    const events = (await collectEvents(first)).events;
    expect(events.at(-1)).toMatchObject({ type: "done", data: { status: "succeeded" } });
    const modelCalls = system.openai.requests.length;
    const pulls = system.github.pulls.length;

    const again = await postCode(system, body, headers);
    expect(again.status).toBe(200);
    expect(again.headers.get("x-job-id")).toBe(first.headers.get("x-job-id"));
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await collectEvents(again)).events).toEqual(events);
    expect(system.openai.requests.length).toBe(modelCalls);
    expect(system.github.pulls.length).toBe(pulls);

    const other = await postCode(system, { ...body, prompt: "[idem] something else" }, headers);
    expect(other.status).toBe(409);
    expect(other.headers.get("content-type")).toMatch(/problem\+json/);
    const bad = await postCode(system, body, { ...as(tokens.idem), "idempotency-key": "a b" });
    expect(bad.status).toBe(400);
  });
});

describe("per-tenant limits", () => {
  it("caps the jobs a token has running at once, and frees the slot when one ends", async () => {
    system.openai.setScript([{ hang: true }], "[busy-1]");
    system.openai.setScript([{ hang: true }], "[busy-2]");
    const started = [];
    for (const marker of ["[busy-1]", "[busy-2]"]) {
      const response = await postCode(
        system,
        { repoUrl: "acme/api", prompt: `${marker} wait` },
        as(tokens.busy),
      );
      expect(response.status).toBe(200);
      started.push(response.headers.get("x-job-id"));
      await response.body?.cancel();
    }
    const refused = await postCode(system, { repoUrl: "acme/api", prompt: "[busy-3] more" }, as(tokens.busy));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ status: 429, reason: "concurrency" });
    // Another token is another tenant.
    system.openai.setScript([finish], "[other]");
    const other = await postCode(system, { repoUrl: "acme/api", prompt: "[other] x" }, as(tokens.fast));
    expect(other.status).toBe(200);
    await collectEvents(other);

    const cancel = await fetch(`${system.url}/jobs/${started[0]}/cancel`, {
      method: "POST",
      headers: as(tokens.busy),
    });
    expect(cancel.status).toBe(202);
    system.openai.setScript([finish], "[busy-4]");
    const after = await postCode(system, { repoUrl: "acme/api", prompt: "[busy-4] now" }, as(tokens.busy));
    expect(after.status).toBe(200);
    await collectEvents(after);
    await fetch(`${system.url}/jobs/${started[1]}/cancel`, { method: "POST", headers: as(tokens.busy) });
  });

  it("limits how many jobs a token starts a minute, with Retry-After", async () => {
    // [other] above used one of this token's three a minute.
    for (const n of [1, 2]) {
      system.openai.setScript([finish], `[fast-${n}]`);
      const ok = await postCode(system, { repoUrl: "acme/api", prompt: `[fast-${n}] go` }, as(tokens.fast));
      expect(ok.status).toBe(200);
      await collectEvents(ok);
    }
    const refused = await postCode(system, { repoUrl: "acme/api", prompt: "[fast-3] go" }, as(tokens.fast));
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await refused.json()).toMatchObject({ status: 429, reason: "rate", retryAfter });
  });
});
