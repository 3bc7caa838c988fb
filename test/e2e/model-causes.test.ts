// Every way the model API fails a job names its cause in the job's `error` event, through the
// real Worker and the openai SDK against the OpenAI stand-in: a key it refuses (401, without the
// key) and a base URL nothing listens on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPortUrl } from "./closed-port";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents } from "./sse";

const finish = { toolCalls: [{ name: "finish", arguments: { title: "T", summary: "S." } }] };

/** Runs a job and returns its `error` event's data, after checking the job failed. */
async function failure(system: System, marker: string) {
  system.openai.setScript([finish], marker);
  const response = await postCode(system, { repoUrl: "acme/api", prompt: `${marker} do something` });
  expect(response.status).toBe(200);
  const { events } = await collectEvents(response, { timeoutMs: 150_000 });
  expect(events.at(-1)).toMatchObject({ type: "done", data: { status: "failed" } });
  const error = events.find((e) => e.type === "error")?.data as { code: string; message: string };
  for (const value of Object.values(system.secrets)) expect(error.message).not.toContain(value);
  return error;
}

describe("with a key the model API refuses", () => {
  let system: System;
  const wrongKey = "sk-wrongkey-0123456789abcdef";
  beforeAll(async () => {
    system = await startSystem({ workerSecrets: { OPENAI_API_KEY: wrongKey } });
    await system.github.createRepo("acme", "api", { "README.md": "# api\n" });
  });
  afterAll(async () => {
    await system?.close();
  });

  it("says the key was refused (401), without the key", async () => {
    const error = await failure(system, "[model-401]");
    expect(error.code).toBe("model_error");
    expect(error.message).toMatch(
      new RegExp(
        `^The model API at ${system.openai.url.replace(/\/v1$/, "")} answered 401 invalid_api_key: .*\\(the key was refused; check OPENAI_API_KEY\\)\\.$`,
      ),
    );
    expect(error.message).not.toContain(wrongKey.slice(-4));
  }, 120_000);
});

describe("with OPENAI_BASE_URL where nothing listens", () => {
  let system: System;
  let baseUrl: string;
  beforeAll(async () => {
    baseUrl = await closedPortUrl();
    system = await startSystem({ vars: { OPENAI_BASE_URL: `${baseUrl}/v1` } });
    await system.github.createRepo("acme", "api", { "README.md": "# api\n" });
  });
  afterAll(async () => {
    await system?.close();
  });

  it("says the model API is unreachable at that host", async () => {
    const error = await failure(system, "[model-unreachable]");
    expect(error.code).toBe("model_error");
    expect(error.message).toMatch(/^The model API kept failing \(5 attempts\); the last: /);
    expect(error.message).toContain(
      `The model API is unreachable at ${baseUrl} (connection refused, DNS failure or no network; check OPENAI_BASE_URL)`,
    );
  }, 180_000);
});
