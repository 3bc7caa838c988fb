// Structured logs through the real Worker on workerd and the real sandbox service: a whole job
// with a failing command, and a job that fails (a repository GitHub does not have). Every line
// our code printed is one JSON object with time, level and msg (job lines with job_id), and no
// secret of the system appears in anything either process wrote.
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

/**
 * Lines that are wrangler's or workerd's own, not ours (README "Logs"): wrangler's request lines
 * (`[wrangler:info] GET /x 200 OK (3ms)`), its banners, and workerd's runtime notices. The test
 * harness's log holds workerd's console output, where wrangler's own logger rarely writes; the
 * patterns are kept so a line of theirs that does land there is named here, not silently allowed.
 */
const NOT_OURS = [/^\[wrangler:\w+\]/, /^Ready on /, /^⎔ /, /^workerd\//, /^\s*$/];

const LEVELS = ["debug", "info", "warn", "error"];

async function runJob(marker: string, repo: string, script: Parameters<System["openai"]["setScript"]>[0]) {
  system.openai.setScript(script, marker);
  const response = await postCode(system, { repoUrl: repo, prompt: `${marker} change the readme` });
  expect(response.status).toBe(200);
  const { events } = await collectEvents(response);
  const job = events.find((e) => e.type === "job")?.data.jobId;
  return { jobId: String(job), done: events.at(-1) };
}

it("every line a job makes is a JSON object with time, level, msg and job_id, and no secret", async () => {
  const good = await runJob("[logs-ok]", "acme/api", [
    { toolCalls: [{ name: "bash", arguments: { command: "cat no-such-file" } }] },
    { toolCalls: [{ name: "bash", arguments: { command: "echo more >> README.md" } }] },
    { toolCalls: [{ name: "finish", arguments: { title: "More readme", summary: "Adds a line." } }] },
  ]);
  expect(good.done).toMatchObject({ type: "done", data: { status: "succeeded" } });
  const missing = await runJob("[logs-missing]", "acme/nope", [
    { toolCalls: [{ name: "finish", arguments: { title: "x", summary: "x" } }] },
  ]);
  expect(missing.done).toMatchObject({ type: "done", data: { status: "failed" } });

  const worker = system.workerLogs();
  const ours = worker.filter(({ message }) => !NOT_OURS.some((pattern) => pattern.test(message)));
  const entries = ours.map(({ level, message }) => {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(message) as Record<string, unknown>;
    } catch {
      throw new Error(`a Worker line that is not JSON (${level}): ${message}`);
    }
    expect(entry, message).toMatchObject({ time: expect.any(String), msg: expect.any(String) });
    expect(LEVELS).toContain(entry.level);
    expect(new Date(String(entry.time)).toISOString()).toBe(entry.time);
    return entry;
  });

  // The job lines name their job: how each job ended is one line, with the failure's code.
  const finished = entries.filter((e) => e.msg === "job finished");
  expect(finished).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ job_id: good.jobId, status: "succeeded", level: "info" }),
      expect.objectContaining({
        job_id: missing.jobId,
        status: "failed",
        level: "warn",
        error_code: "repo_not_found",
      }),
    ]),
  );
  // Every line here was printed for one of the two jobs (Octokit's 404 for the missing repository
  // included), so every one names its job.
  for (const e of entries) expect([good.jobId, missing.jobId], JSON.stringify(e)).toContain(e.job_id);
  expect(entries.some((e) => e.logger === "octokit" && e.job_id === missing.jobId)).toBe(true);

  // The service's lines: JSON, with the sandbox's job on every request for it.
  const service = system.serviceLogs().map((line) => JSON.parse(line) as Record<string, unknown>);
  const requests = service.filter((e) => e.msg === "request" && String(e.path).startsWith("/v1/sandboxes/"));
  expect(requests.length).toBeGreaterThan(0);
  for (const e of service) expect(e).toMatchObject({ time: expect.any(String), level: expect.any(String) });
  // (The failed job never had a sandbox, but its cleanup still asks the service to terminate one.)
  for (const e of requests) expect([good.jobId, missing.jobId]).toContain(e.job_id);
  expect(requests.filter((e) => e.job_id === good.jobId && e.method === "POST").length).toBeGreaterThan(2);

  // No secret of the system in anything either process wrote.
  const everything = [...worker.map((l) => l.message), ...system.serviceLogs()].join("\n");
  // CODE_API_TOKENS is a list of `name:token` or `token`: each token is a secret, a name is not.
  const { CODE_API_TOKENS, ...single } = system.secrets;
  const apiTokens = (CODE_API_TOKENS ?? "").split(",").map((entry) => entry.split(":").at(-1) ?? "");
  const secrets = [...Object.values(single), ...apiTokens];
  expect(secrets.length).toBeGreaterThanOrEqual(5);
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(8);
    expect(everything).not.toContain(secret);
  }
}, 120_000);
