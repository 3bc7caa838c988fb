// Traces of a job started from Slack: the Slack API calls the JobRoom's thread renderer makes are
// client spans in the job's trace (method, path, status; never a token or a message's text), and
// the root span names the Slack user who asked.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OtlpCollector, type ReceivedSpan, startOtlpCollector } from "../stand-ins/otlp";
import type { SlackStandIn } from "../stand-ins/slack";
import { startSlackStandIn } from "../stand-ins/slack";
import { type System, startSystem } from "./harness";
import { postSlack, slashCommandBody } from "./slack-requests";

const SIGNING_SECRET = "e2e-signing-secret-0123456789abcdef";
const TRAJECTORY = [
  {
    toolCalls: [{ name: "bash", arguments: { command: "sed -i 's/Hello/Hi/' src/app.js" } }],
    usage: { promptTokens: 100, completionTokens: 10 },
  },
  {
    toolCalls: [{ name: "finish", arguments: { title: "Say hi", summary: "Says hi." } }],
    usage: { promptTokens: 200, completionTokens: 20 },
  },
];

let collector: OtlpCollector;
let slack: SlackStandIn;
let system: System;
let job: ReceivedSpan | undefined;

/** The job's trace holds its root and a Slack call that came after `done` (the final reply). */
const slackSpans = (spans: ReceivedSpan[]) => {
  const root = spans.find((s) => s.name === "job");
  return spans.filter((s) => s.traceId === root?.traceId && s.name.startsWith("slack "));
};

beforeAll(async () => {
  collector = await startOtlpCollector();
  slack = await startSlackStandIn();
  system = await startSystem({
    otel: { endpoint: collector.url },
    vars: { SLACK_API_URL: slack.apiUrl },
    secretsOverride: { SLACK_BOT_TOKEN: slack.token, SLACK_SIGNING_SECRET: SIGNING_SECRET },
  });
  await system.github.createRepo("acme", "api", { "src/app.js": "console.log('Hello');\n" });
  system.openai.setScript(TRAJECTORY, "[slack-traces]");
  const body = slashCommandBody({
    text: `<${system.github.webUrl}/acme/api> [slack-traces] say hi`,
    responseUrl: slack.responseUrl(),
  });
  expect((await postSlack(system.url, SIGNING_SECRET, body)).status).toBe(200);
  const final = /^:(white_check_mark|x|no_entry_sign):/;
  await slack.waitFor((c) => c.some((x) => x.args.thread_ts && final.test(String(x.args.text))), 60_000);
  // Every postMessage the stand-in answered has its span in the job's trace.
  await collector.waitFor((spans) => {
    const posted = slack.calls.filter((c) => c.method === "chat.postMessage").length;
    return (
      slackSpans(spans).filter((s) => s.attributes["url.path"] === "/api/chat.postMessage").length >= posted
    );
  });
  job = collector.spans.find((s) => s.name === "job");
});
afterAll(async () => {
  await system?.close();
  await slack?.close();
  await collector?.close();
});

describe("traces of a /pr job", () => {
  it("names the Slack user as the job's requester", () => {
    expect(job?.attributes).toMatchObject({ "job.requester": "U0ALICE", "job.status": "succeeded" });
  });

  it("records each Slack API call as a client span of the job's trace", () => {
    const spans = slackSpans(collector.spans);
    expect(spans.length).toBeGreaterThan(1);
    for (const s of spans) {
      expect(s.kind).toBe(3);
      expect(s.attributes).toMatchObject({ "http.request.method": "POST", "http.response.status_code": 200 });
      expect(String(s.attributes["url.path"])).toMatch(/^\/api\/chat\.(postMessage|update)$/);
    }
  });

  it("exports no Slack token, signing secret or message text", () => {
    const bytes = Buffer.concat(collector.raw).toString("utf8");
    expect(bytes).not.toContain(slack.token);
    expect(bytes).not.toContain(SIGNING_SECRET);
    expect(bytes).not.toContain("Sandbox ready");
    expect(collector.rejected).toEqual([]);
  });
});
