// Every way GitHub fails a job names its cause in the job's `error` event, through the real
// Worker and Octokit against the GitHub stand-in: a missing repository (404), rate limits (with
// when they reset), refused credentials (401) and an API host nothing listens on. No token leaks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPortUrl } from "./closed-port";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents } from "./sse";

const finish = { toolCalls: [{ name: "finish", arguments: { title: "T", summary: "S." } }] };

/** Runs a job on `repo` and returns its `error` event's data, after checking the job failed. */
async function failure(system: System, marker: string, repo = "acme/api") {
  system.openai.setScript([finish], marker);
  const response = await postCode(system, { repoUrl: repo, prompt: `${marker} do something` });
  expect(response.status).toBe(200);
  const { events } = await collectEvents(response, { timeoutMs: 120_000 });
  expect(events.at(-1)).toMatchObject({ type: "done", data: { status: "failed" } });
  const error = events.find((e) => e.type === "error")?.data as { code: string; message: string };
  for (const value of Object.values(system.secrets)) expect(error.message).not.toContain(value);
  return error;
}

describe("with the right token", () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
    await system.github.createRepo("acme", "api", { "README.md": "# api\n" });
  });
  afterAll(async () => {
    await system?.close();
  });

  it("a missing repository says it does not exist or cannot be seen (404)", async () => {
    const error = await failure(system, "[404]", "acme/nope");
    expect(error.code).toBe("repo_not_found");
    expect(error.message).toMatch(
      /^Repository acme\/nope was not found, or the GitHub credential has no access to it \(for a private repository/,
    );
  });

  it("an exhausted rate limit says when it resets", async () => {
    const resetAt = Math.floor(Date.now() / 1000) + 3600;
    system.github.fail({ method: "GET", path: /^\/repos\/acme\/api$/ }, { rateLimitResetAt: resetAt });
    const error = await failure(system, "[primary]");
    const when = new Date(resetAt * 1000).toISOString();
    expect(error.message).toMatch(
      /^GitHub rate limit reached \(403\) on GET \/api\/v3\/repos\/acme\/api: the hourly quota/,
    );
    expect(error.message).toContain(`it resets at ${when} (in `);
  });

  it("a secondary rate limit too long to wait out says when to retry", async () => {
    system.github.fail(
      { method: "GET", path: /^\/repos\/acme\/api$/ },
      { secondaryRateLimit: true, retryAfter: 3600 },
    );
    const error = await failure(system, "[secondary]");
    expect(error.message).toMatch(
      /^GitHub rate limit reached \(403\) on GET \/api\/v3\/repos\/acme\/api: You have exceeded a secondary rate limit.*; retry after 3600 s\.$/,
    );
  });
});

describe("with a token GitHub does not accept", () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem({ workerSecrets: { GITHUB_TOKEN: "ghp_wrongtoken000000000000000000000000" } });
    await system.github.createRepo("acme", "api", { "README.md": "# api\n" });
  });
  afterAll(async () => {
    await system?.close();
  });

  it("says the credentials were refused (401), without the token", async () => {
    const error = await failure(system, "[401]");
    expect(error.message).toMatch(
      /^GitHub answered 401 Bad credentials to GET \/api\/v3\/repos\/acme\/api: the credentials were refused; check GITHUB_TOKEN/,
    );
    expect(error.message).not.toContain("ghp_wrongtoken");
  });
});

describe("with GITHUB_API_URL where nothing listens", () => {
  let system: System;
  let apiUrl: string;
  beforeAll(async () => {
    apiUrl = await closedPortUrl();
    system = await startSystem({ vars: { GITHUB_API_URL: apiUrl } });
  });
  afterAll(async () => {
    await system?.close();
  });

  it("says GitHub is unreachable at that host", async () => {
    const error = await failure(system, "[unreachable]");
    expect(error.code).toBe("github_error");
    expect(error.message).toContain(
      `GitHub is unreachable at ${apiUrl} (connection refused, DNS failure or no network; check GITHUB_API_URL)`,
    );
  }, 120_000);
});
