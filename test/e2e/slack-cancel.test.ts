// Cancelling a Slack job on the real system (Worker, sandbox service, stand-ins): the Cancel button
// refuses anyone but the requester with an ephemeral note, and for the requester stops the model
// mid-turn, frees the sandbox, ends the job `cancelled` and takes the button off the parent —
// as POST /jobs/:id/cancel does. With SLACK_CANCEL_POLICY=channel anyone may press it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SlackCall, SlackStandIn } from "../stand-ins/slack";
import { startSlackStandIn } from "../stand-ins/slack";
import { type System, startSystem } from "./harness";
import { cancelClickBody, postSlack, slashCommandBody } from "./slack-requests";
import { jobIdOf, startSlackWorker } from "./slack-worker";
import { collectEvents } from "./sse";

const SIGNING_SECRET = "e2e-cancel-secret-0123456789abcdef";

let slack: SlackStandIn;
let system: System;
beforeAll(async () => {
  slack = await startSlackStandIn();
  system = await startSystem({
    vars: { SLACK_API_URL: slack.apiUrl },
    secretsOverride: { SLACK_BOT_TOKEN: slack.token, SLACK_SIGNING_SECRET: SIGNING_SECRET },
  });
  await system.github.createRepo("acme", "api", { "README.md": "# api\n" });
});
afterAll(async () => {
  await system?.close();
  await slack?.close();
});

const hasButton = (call: SlackCall | undefined) =>
  JSON.stringify(call?.args.blocks ?? "").includes("cancel_job");

async function liveSandboxes(): Promise<unknown[]> {
  const list = await fetch(`${system.service.url}/v1/sandboxes`, {
    headers: { authorization: `Bearer ${system.secrets.SANDBOX_SERVICE_TOKEN}` },
  });
  return ((await list.json()) as { sandboxes: unknown[] }).sandboxes;
}

/** Starts a /pr whose model hangs after one step; resolves once that step is logged. */
async function hangingJob(marker: string): Promise<{ jobId: string; ts: string }> {
  system.openai.setScript(
    [{ toolCalls: [{ name: "bash", arguments: { command: "echo started" } }] }, { hang: true }],
    marker,
  );
  const body = slashCommandBody({
    text: `acme/api ${marker} wait forever`,
    responseUrl: slack.responseUrl(),
  });
  expect((await postSlack(system.url, SIGNING_SECRET, body)).status).toBe(200);
  const mine = (c: SlackCall) =>
    c.method === "chat.postMessage" && JSON.stringify(c.args.blocks ?? "").includes(marker);
  const parent = (await slack.waitFor((c) => c.some(mine))).find(mine);
  const jobId = jobIdOf(parent?.args ?? {});
  await collectEvents(await fetch(`${system.url}/jobs/${jobId}/events`), { until: (e) => e.type === "step" });
  return { jobId, ts: String(parent?.response.ts) };
}

const finalEdit = (ts: string) => (c: SlackCall[]) =>
  c.some((x) => x.method === "chat.update" && x.args.ts === ts && !hasButton(x));
const reply = (ts: string, pattern: RegExp) => (c: SlackCall[]) =>
  c.some((x) => x.args.thread_ts === ts && pattern.test(String(x.args.text)));

describe("the Cancel button", () => {
  it("refuses someone other than the requester, ephemerally, and the job goes on", async () => {
    const { jobId } = await hangingJob("[refuse]");
    const responseUrl = slack.responseUrl();
    const path = new URL(responseUrl).pathname;
    const click = cancelClickBody({ jobId, user: "U0BOB", responseUrl });
    expect((await postSlack(system.url, SIGNING_SECRET, click)).status).toBe(200);
    const calls = await slack.waitFor((c) =>
      c.some((x) => x.method === "response_url" && x.args.url === path),
    );
    const refusal = calls.find((x) => x.args.url === path);
    expect(refusal?.args).toMatchObject({ response_type: "ephemeral", replace_original: false });
    expect(String(refusal?.args.text)).toContain("Only <@U0ALICE>");
    const snapshot = (await (await fetch(`${system.url}/jobs/${jobId}`)).json()) as { status: string };
    expect(snapshot.status).toBe("running");
    expect(await liveSandboxes()).toHaveLength(1);
    // Free the sandbox so the next test counts only its own.
    await fetch(`${system.url}/jobs/${jobId}/cancel`, {
      method: "POST",
      headers: { authorization: `Bearer ${system.apiToken}` },
    });
  });

  it("pressed by the requester stops the model, frees the sandbox, ends cancelled, drops the button", async () => {
    const { jobId, ts } = await hangingJob("[mine]");
    expect(await liveSandboxes()).toHaveLength(1);
    const click = cancelClickBody({
      jobId,
      user: "U0ALICE",
      messageTs: ts,
      responseUrl: slack.responseUrl(),
    });
    expect((await postSlack(system.url, SIGNING_SECRET, click)).status).toBe(200);
    const replay = await collectEvents(await fetch(`${system.url}/jobs/${jobId}/events`));
    expect(replay.events.at(-1)?.data).toMatchObject({ status: "cancelled" });
    expect(replay.events.find((e) => e.type === "error")?.data).toMatchObject({
      code: "cancelled",
      message: "Cancelled from Slack by @u0alice.",
    });
    expect(await liveSandboxes()).toEqual([]);
    await slack.waitFor(
      (c) => finalEdit(ts)(c) && reply(ts, /^:no_entry_sign: Cancelled\. Cancelled from Slack/)(c),
    );
  });
});

describe("POST /jobs/:id/cancel on a Slack job", () => {
  it("ends it the same way: cancelled, sandbox freed, button gone, reply in the thread", async () => {
    const { jobId, ts } = await hangingJob("[api-cancel]");
    const cancel = await fetch(`${system.url}/jobs/${jobId}/cancel`, {
      method: "POST",
      headers: { authorization: `Bearer ${system.apiToken}` },
    });
    expect(cancel.status).toBe(202);
    expect(await liveSandboxes()).toEqual([]);
    const calls = await slack.waitFor((c) => finalEdit(ts)(c) && reply(ts, /Cancelled through the API/)(c));
    const last = calls.filter((x) => x.method === "chat.update" && x.args.ts === ts).at(-1);
    expect(JSON.stringify(last?.args.blocks)).toContain("Cancelled through the API");
  });
});

describe("SLACK_CANCEL_POLICY=channel", () => {
  it("lets anyone in the channel cancel", async () => {
    const w = await startSlackWorker({ SLACK_CANCEL_POLICY: "channel" });
    try {
      const body = slashCommandBody({ text: "acme/api [anyone] wait", responseUrl: w.slack.responseUrl() });
      expect((await postSlack(w.url, w.signingSecret, body)).status).toBe(200);
      const parent = (await w.slack.waitFor((c) => c.some((x) => x.method === "chat.postMessage"))).find(
        (x) => x.method === "chat.postMessage",
      );
      const jobId = jobIdOf(parent?.args ?? {});
      const click = cancelClickBody({ jobId, user: "U0BOB", responseUrl: w.slack.responseUrl() });
      expect((await postSlack(w.url, w.signingSecret, click)).status).toBe(200);
      const replay = await collectEvents(await fetch(`${w.url}/jobs/${jobId}/events`));
      expect(replay.events.at(-1)?.data).toMatchObject({ status: "cancelled" });
      expect(w.slack.calls.filter((c) => c.method === "response_url")).toEqual([]);
    } finally {
      await w.close();
    }
  });
});
