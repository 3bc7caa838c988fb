// GitHub faults at the wire, through the whole system: 5xx answers are retried by Octokit's retry
// plugin and a secondary rate limit (403 + retry-after) is waited out by its throttling plugin, so
// the job still opens its pull request, and every retried call is visible in the stand-in's log.
import { afterAll, beforeAll, expect, it } from "vitest";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents } from "./sse";

let system: System;
beforeAll(async () => {
  system = await startSystem();
  await system.github.createRepo("acme", "api", { "README.md": "# api\n" });
});
afterAll(async () => {
  await system?.close();
});

it("a 502, a 503 and a secondary rate limit are retried and the PR still opens", async () => {
  const gh = system.github;
  gh.fail({ method: "GET", path: /^\/repos\/acme\/api$/ }, { status: 502 });
  gh.fail({ method: "POST", path: /^\/repos\/acme\/api\/git\/trees$/ }, { status: 503 });
  gh.fail(
    { method: "POST", path: /^\/repos\/acme\/api\/pulls$/ },
    { secondaryRateLimit: true, retryAfter: 1 },
  );
  system.openai.setScript(
    [
      { toolCalls: [{ name: "bash", arguments: { command: "echo hi > hi.txt" } }] },
      { toolCalls: [{ name: "finish", arguments: { title: "Add hi", summary: "Adds hi.txt." } }] },
    ],
    "[gh-faults]",
  );
  const response = await postCode(system, { repoUrl: "acme/api", prompt: "[gh-faults] add hi" });
  const { events } = await collectEvents(response, { timeoutMs: 60_000 });
  expect(events.at(-1)).toMatchObject({ type: "done", data: { status: "succeeded" } });
  const statuses = (method: string, path: RegExp) =>
    gh.calls.filter((c) => c.method === method && path.test(c.path)).map((c) => c.status);
  expect(statuses("GET", /^\/repos\/acme\/api$/).slice(0, 2)).toEqual([502, 200]);
  expect(statuses("POST", /\/git\/trees$/).slice(0, 2)).toEqual([503, 201]);
  expect(statuses("POST", /\/pulls$/)).toEqual([403, 201]);
  expect(gh.pulls).toHaveLength(1);
  expect(gh.violations).toEqual([]);
});
