// How jobs end when things go wrong, through the real Worker: every path ends with `error` then
// `done`, opens no PR when there is nothing to publish, and leaves no sandbox running. A client
// that disconnects does not stop its job; cancel stops everything.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents, type ParsedEvent } from "./sse";

let system: System;
beforeAll(async () => {
  system = await startSystem({ vars: { AGENT_MAX_STEPS: "3" } });
  await system.github.createRepo("acme", "api", { "README.md": "# api\n" });
});
afterAll(async () => {
  await system?.close();
});

async function run(marker: string, script: Parameters<System["openai"]["setScript"]>[0], repo = "acme/api") {
  system.openai.setScript(script, marker);
  const response = await postCode(system, { repoUrl: repo, prompt: `${marker} do something` });
  expect(response.status).toBe(200);
  return (await collectEvents(response)).events;
}

function ending(events: ParsedEvent[]) {
  return { error: events.find((e) => e.type === "error")?.data, done: events.at(-1) };
}

async function liveSandboxes(): Promise<unknown[]> {
  const list = await fetch(`${system.service.url}/v1/sandboxes`, {
    headers: { authorization: `Bearer ${system.secrets.SANDBOX_SERVICE_TOKEN}` },
  });
  return ((await list.json()) as { sandboxes: unknown[] }).sandboxes;
}

const finish = {
  toolCalls: [{ name: "finish", arguments: { title: "Nothing", summary: "Nothing to do." } }],
};
const bash = (command: string) => ({ toolCalls: [{ name: "bash", arguments: { command } }] });

describe("failing jobs", () => {
  it("a repository GitHub does not have fails before any sandbox starts", async () => {
    const events = await run("[missing]", [finish], "acme/nope");
    const { error, done } = ending(events);
    expect(error).toMatchObject({ code: "repo_not_found" });
    expect(String(error?.message)).toMatch(
      /acme\/nope was not found, or the GitHub credential has no access/,
    );
    expect(done).toMatchObject({ type: "done", data: { status: "failed" } });
    expect(events.some((e) => e.type === "status" && e.data.phase === "provisioning")).toBe(false);
  });

  it("no change means failed with a clear reason, never an empty PR", async () => {
    const before = system.github.pulls.length;
    const events = await run("[nochange]", [bash("cat README.md"), finish]);
    const { error, done } = ending(events);
    expect(error).toMatchObject({ code: "no_changes" });
    expect(String(error?.message)).toMatch(/without changing any file/);
    expect(done?.data).toMatchObject({ status: "failed", usage: { steps: 1 } });
    expect(system.github.pulls.length).toBe(before);
    expect(await liveSandboxes()).toEqual([]);
  });

  it("a step budget that runs out ends the job with limit_exceeded", async () => {
    const events = await run("[limit]", [bash("true"), bash("true"), bash("true"), bash("true"), finish]);
    expect(events.filter((e) => e.type === "step")).toHaveLength(3);
    expect(ending(events).error).toMatchObject({ code: "limit_exceeded" });
    expect(ending(events).done?.data).toMatchObject({ status: "failed" });
    expect(await liveSandboxes()).toEqual([]);
  });

  it("a bad tool call is an observation the model can recover from", async () => {
    const events = await run("[badcall]", [
      { toolCalls: [{ name: "bash", arguments: "{not json" }] },
      { toolCalls: [{ name: "rm_everything", arguments: {} }] },
      bash("echo ok > ok.txt"),
      { toolCalls: [{ name: "finish", arguments: { title: "Add ok", summary: "Adds ok.txt" } }] },
    ]);
    const steps = events.filter((e) => e.type === "step").map((e) => e.data.output);
    expect(steps[0]).toMatch(/not valid JSON/);
    expect(steps[1]).toMatch(/no tool named "rm_everything"/);
    expect(ending(events).done?.data).toMatchObject({ status: "succeeded" });
  });
});

describe("a job outlives its client, and can be cancelled", () => {
  it("keeps running after the client disconnects, and replays to done", async () => {
    system.openai.setScript(
      [
        bash("echo hi > hi.txt"),
        { toolCalls: [{ name: "finish", arguments: { title: "Say hi", summary: "hi" } }] },
      ],
      "[gone]",
    );
    const response = await postCode(system, { repoUrl: "acme/api", prompt: "[gone] say hi" });
    const first = await collectEvents(response, { until: (e) => e.type === "job" });
    const jobId = String(first.events[0]?.data.jobId);
    const replay = await collectEvents(await fetch(`${system.url}/jobs/${jobId}/events`));
    expect(replay.events.at(-1)?.data).toMatchObject({ status: "succeeded" });
  });

  it("POST /jobs/:id/cancel stops the model mid-turn, frees the sandbox and ends cancelled", async () => {
    system.openai.setScript([bash("echo started"), { hang: true }], "[cancel]");
    const response = await postCode(system, { repoUrl: "acme/api", prompt: "[cancel] wait forever" });
    const seen = await collectEvents(response, { until: (e) => e.type === "step" });
    const jobId = String(seen.events[0]?.data.jobId);
    expect(await liveSandboxes()).toHaveLength(1);
    const unauthorized = await fetch(`${system.url}/jobs/${jobId}/cancel`, { method: "POST" });
    expect(unauthorized.status).toBe(401);
    const cancel = await fetch(`${system.url}/jobs/${jobId}/cancel`, {
      method: "POST",
      headers: { authorization: `Bearer ${system.apiToken}` },
    });
    expect(cancel.status).toBe(202);
    const replay = await collectEvents(await fetch(`${system.url}/jobs/${jobId}/events`));
    expect(replay.events.at(-1)?.data).toMatchObject({ status: "cancelled" });
    expect(await liveSandboxes()).toEqual([]);
    const again = await fetch(`${system.url}/jobs/${jobId}/cancel`, {
      method: "POST",
      headers: { authorization: `Bearer ${system.apiToken}` },
    });
    expect(again.status).toBe(409);
  });
});
