// The janitor end to end: the real Worker on workerd (wrangler's test harness, ./wrangler.toml) gets
// its cron event and sweeps the real sandbox service: a sandbox whose job no JobRoom knows is
// terminated (the scheduled event settles only once its waitUntil work has).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestHarness } from "wrangler";
import type { SandboxInfo } from "../../src/protocol/sandbox";
import { type RunningService, startService } from "../../src/sandbox-service/app";
import { createLocalBackend } from "../../src/sandbox-service/backends/local";

const token = randomBytes(16).toString("hex");
let root: string;
let service: RunningService;
let harness: ReturnType<typeof createTestHarness>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "worker-cron-"));
  service = await startService({
    backend: await createLocalBackend({ root }),
    token,
    port: 0,
    host: "127.0.0.1",
  });
  const dummy = (name: string) => `${name}-${randomBytes(8).toString("hex")}`;
  harness = createTestHarness({
    workers: [
      {
        configPath: "./wrangler.toml",
        vars: { SANDBOX_SERVICE_URL: service.url },
        secrets: {
          SANDBOX_SERVICE_TOKEN: token,
          OPENAI_API_KEY: dummy("sk"),
          GITHUB_TOKEN: dummy("ghp"),
          CODE_API_TOKENS: dummy("api"),
          SLACK_BOT_TOKEN: dummy("xoxb"),
          SLACK_SIGNING_SECRET: dummy("sig"),
        },
      },
    ],
  });
  await harness.listen();
});
afterAll(async () => {
  await harness?.close();
  await service?.close();
  await rm(root, { recursive: true, force: true });
});

async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as T) : (undefined as T) };
}

describe("cron trigger", () => {
  it("terminates the sandbox of a job no JobRoom knows", async () => {
    const orphan = await call<SandboxInfo>("POST", "/v1/sandboxes", {
      jobId: `never-started-${randomBytes(4).toString("hex")}`,
    });
    expect(orphan.status).toBe(201);
    const result = await harness.getWorker("modal-coding-agent").scheduled({ cron: "*/15 * * * *" });
    expect(result.outcome).toBe("ok");
    expect((await call("GET", `/v1/sandboxes/${orphan.body.id}`)).status).toBe(404);
  });
});
