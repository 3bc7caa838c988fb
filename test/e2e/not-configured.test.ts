// A deployment without the keys jobs need, through the real Worker: POST /code answers 503
// problem+json naming each missing key (a placeholder left from .dev.vars.example counts as
// missing) and Slack's /pr an ephemeral message naming them, both before any job exists.
import { afterAll, describe, expect, it } from "vitest";
import { PLACEHOLDERS } from "../../src/shared/job-keys.mjs";
import { postCode, type System, startSystem } from "./harness";
import { newTriggerId, postSlack, slashCommandBody } from "./slack-requests";
import { type SlackWorker, startSlackWorker } from "./slack-worker";

const placeholder = (key: string) => PLACEHOLDERS[key] ?? "";

describe.each<{ name: string; secrets: Record<string, string>; keys: string[]; says: RegExp }>([
  {
    name: "no OPENAI_API_KEY",
    secrets: { OPENAI_API_KEY: "" },
    keys: ["OPENAI_API_KEY"],
    says: /Missing OPENAI_API_KEY, for the model API\./,
  },
  {
    name: "no GITHUB_TOKEN",
    secrets: { GITHUB_TOKEN: "" },
    keys: ["GITHUB_TOKEN"],
    says: /Missing GITHUB_TOKEN, or GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY, for GitHub\./,
  },
  {
    name: "placeholders from .dev.vars.example",
    secrets: { OPENAI_API_KEY: placeholder("OPENAI_API_KEY"), GITHUB_TOKEN: placeholder("GITHUB_TOKEN") },
    keys: ["OPENAI_API_KEY", "GITHUB_TOKEN"],
    says: /OPENAI_API_KEY \(still the placeholder from \.dev\.vars\.example\), for the model API; GITHUB_TOKEN \(still the placeholder/,
  },
])("POST /code with $name", ({ secrets, keys, says }) => {
  let system: System;
  afterAll(async () => {
    await system?.close();
  });

  it("is refused with 503 problem+json naming the keys, and no job starts", async () => {
    system = await startSystem({ secretsOverride: secrets });
    await system.github.createRepo("acme", "api", { "README.md": "# api\n" });
    const response = await postCode(system, { repoUrl: "acme/api", prompt: "add a test" });
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(response.headers.get("x-job-id")).toBeNull();
    const problem = (await response.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({
      type: "about:blank",
      title: "Server not configured",
      status: 503,
      missing: keys,
    });
    expect(String(problem.detail)).toMatch(says);
    // Nothing ran: no model call, no GitHub call, no sandbox.
    expect(system.openai.requests).toEqual([]);
    expect(system.github.calls).toEqual([]);
    const list = await fetch(`${system.service.url}/v1/sandboxes`, {
      headers: { authorization: `Bearer ${system.secrets.SANDBOX_SERVICE_TOKEN}` },
    });
    expect(((await list.json()) as { sandboxes: unknown[] }).sandboxes).toEqual([]);
    // And no secret value is echoed back.
    for (const value of Object.values(system.secrets).filter((v) => v.length > 8)) {
      expect(JSON.stringify(problem)).not.toContain(value);
    }
  }, 60_000);
});

describe("Slack /pr without OPENAI_API_KEY", () => {
  let w: SlackWorker;
  afterAll(async () => {
    await w?.close();
  });

  it("answers ephemerally naming the key, and no job starts", async () => {
    w = await startSlackWorker({}, { OPENAI_API_KEY: placeholder("OPENAI_API_KEY") });
    const body = slashCommandBody({
      text: "acme/api add a test",
      triggerId: newTriggerId(),
      responseUrl: w.slack.responseUrl(),
    });
    const response = await postSlack(w.url, w.signingSecret, body);
    expect(response.status).toBe(200);
    const ack = (await response.json()) as { response_type?: string; text?: string };
    expect(ack.response_type).toBe("ephemeral");
    expect(ack.text).toMatch(/not configured to run jobs yet, so none was started/);
    expect(ack.text).toMatch(
      /OPENAI_API_KEY \(still the placeholder from \.dev\.vars\.example\), for the model API/,
    );
    expect(await w.jobRoomCount()).toBe(0);
    expect(w.slack.calls.filter((c) => c.method === "chat.postMessage")).toEqual([]);
  }, 60_000);
});
