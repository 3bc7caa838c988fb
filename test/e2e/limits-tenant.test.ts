// Limits that cannot be sidestepped, through the real Worker: a plain (unnamed) token is one tenant
// however the Authorization header spells it (scheme case, whitespace), because the tenant comes
// from the configured token that matched, not from the header; and requests racing with one
// Idempotency-Key at the concurrency cap start one job that all of them stream, never a 500.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents } from "./sse";

let system: System;
const plain = { a: "plain-token-a-0123456789", b: "plain-token-b-0123456789" };
const raceToken = "tok-race-0123456789";
beforeAll(async () => {
  system = await startSystem({
    vars: { JOBS_PER_MINUTE: "3", MAX_CONCURRENT_JOBS: "2" },
    secretsOverride: { CODE_API_TOKENS: `${plain.a},${plain.b},race:${raceToken}` },
  });
  await system.github.createRepo("acme", "tenants", { "README.md": "# tenants\n" });
});
afterAll(async () => {
  await system?.close();
});

const finish = { toolCalls: [{ name: "finish", arguments: { title: "Add a file", summary: "Adds it." } }] };
const edit = (marker: string) => ({
  toolCalls: [{ name: "bash", arguments: { command: `echo ${marker} > file.txt` } }],
});

async function runJob(marker: string, authorization: string, headers: Record<string, string> = {}) {
  system.openai.setScript([edit(marker), finish], marker);
  return postCode(system, { repoUrl: "acme/tenants", prompt: `${marker} go` }, { authorization, ...headers });
}

describe("the tenant of a plain token", () => {
  it("is the token, whatever the scheme's case or the whitespace around it", async () => {
    const limitersBefore = (await system.durableObjectIds("TENANT_LIMITER")).length;
    // Three spellings of one token use up its three jobs a minute; a fourth is refused.
    for (const [n, header] of [`Bearer ${plain.a}`, `bearer   ${plain.a}`, `BEARER\t${plain.a} `].entries()) {
      const ok = await runJob(`[spell-${n}]`, header);
      expect(ok.status, header).toBe(200);
      expect((await collectEvents(ok)).events.at(-1)).toMatchObject({ data: { status: "succeeded" } });
    }
    const refused = await runJob("[spell-3]", `  beArer ${plain.a}`);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ status: 429, reason: "rate" });
    expect(await system.durableObjectIds("TENANT_LIMITER")).toHaveLength(limitersBefore + 1);

    // Another plain token is another tenant, with its own budget.
    const other = await runJob("[other-plain]", `Bearer ${plain.b}`);
    expect(other.status).toBe(200);
    await collectEvents(other);
    expect(await system.durableObjectIds("TENANT_LIMITER")).toHaveLength(limitersBefore + 2);
  });
});

describe("one Idempotency-Key, many requests at once, at the concurrency cap", () => {
  it("starts one job, and every request streams it", async () => {
    // Two finished jobs still hold the tenant's two slots, so the first admission awaits their rooms
    // (the one await in the limiter). Whether the others arrive inside that await is up to
    // scheduling (locally they mostly come just after it); either way the outcome must be this one.
    for (const n of [1, 2]) {
      const done = await runJob(`[fill-${n}]`, `Bearer ${raceToken}`);
      expect(done.status).toBe(200);
      expect((await collectEvents(done)).events.at(-1)).toMatchObject({ data: { status: "succeeded" } });
    }
    const pulls = system.github.pulls.length;
    system.openai.setScript([edit("race"), finish], "[race]");
    const body = { repoUrl: "acme/tenants", prompt: "[race] once" };
    const headers = { authorization: `Bearer ${raceToken}`, "idempotency-key": "race-key-1" };
    const responses = await Promise.all(Array.from({ length: 16 }, () => postCode(system, body, headers)));
    const problems = await Promise.all(
      responses.filter((r) => r.status !== 200).map(async (r) => `${r.status} ${await r.text()}`),
    );
    expect(problems).toEqual([]);
    const jobIds = new Set(responses.map((r) => r.headers.get("x-job-id")));
    expect(jobIds.size).toBe(1);
    expect(responses.filter((r) => r.headers.get("idempotent-replayed") === null)).toHaveLength(1);
    const streams = await Promise.all(responses.map(async (r) => (await collectEvents(r)).events));
    for (const events of streams) {
      expect(events.map((e) => e.id)).toEqual(streams[0]?.map((e) => e.id));
      expect(events.at(-1)).toMatchObject({ type: "done", data: { status: "succeeded" } });
    }
    expect(system.github.pulls.length).toBe(pulls + 1);
  });
});
