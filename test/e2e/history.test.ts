// The job history through the real Worker: jobs run end to end (scripted model, real sandbox
// service, GitHub stand-in), their rows land in D1 (migrations applied as `wrangler d1 migrations
// apply` does), and `GET /jobs` / `GET /usage` read them back: per tenant, filtered, paged with the
// cursor, and across tenants for ADMIN_API_TOKENS.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents, type ParsedEvent } from "./sse";

let system: System;
const tokens = { main: "hist-main-0123456789abcdef", other: "hist-other-0123456789abcdef" };
const admin = "hist-admin-0123456789abcdef";
const PRICE = { inputPerMillion: 3, outputPerMillion: 15 };

interface Row {
  jobId: string;
  tenant: string;
  requester: string | null;
  repo: string;
  prompt: string;
  status: string;
  errorCode: string | null;
  prUrl: string | null;
  steps: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  costUsd: number | null;
  createdAt: string;
  finishedAt: string | null;
}
interface Done {
  jobId: string;
  events: ParsedEvent[];
}

const finish = { toolCalls: [{ name: "finish", arguments: { title: "Add a file", summary: "Adds it." } }] };
const edit = (marker: string) => ({
  toolCalls: [{ name: "bash", arguments: { command: `echo ${marker} > file.txt` } }],
});

async function runJob(marker: string, repo: string, token: string, prompt = `${marker} go`): Promise<Done> {
  system.openai.setScript([edit(marker), finish], marker);
  const response = await postCode(system, { repoUrl: repo, prompt }, { authorization: `Bearer ${token}` });
  expect(response.status).toBe(200);
  const { events } = await collectEvents(response);
  expect(events.at(-1)?.type).toBe("done");
  return { jobId: response.headers.get("x-job-id") ?? "", events };
}

function get(path: string, token: string): Promise<Response> {
  return fetch(`${system.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
}

async function list(query: string, token = tokens.main): Promise<{ jobs: Row[]; nextCursor: string | null }> {
  const response = await get(`/jobs${query}`, token);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as { jobs: Row[]; nextCursor: string | null };
}

interface Totals {
  jobs: Record<string, number>;
  steps: number;
  promptTokens: number;
  completionTokens: number;
  tokens: number;
  costUsd: number;
}
interface UsageBody {
  tenant: string | null;
  days: (Totals & { date: string })[];
  totals: Totals;
}

async function usageOf(query: string, token: string): Promise<UsageBody> {
  const response = await get(`/usage${query}`, token);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as UsageBody;
}

/**
 * The row is written by the room after `done` is streamed, so a reader may see it a moment later:
 * asked again until it shows the end (bounded), which is what a client polling the list does.
 */
async function finished(jobId: string, token = admin): Promise<Row> {
  for (let i = 0; i < 200; i++) {
    const row = (await list("?limit=100", token)).jobs.find((r) => r.jobId === jobId);
    if (row && row.finishedAt !== null) return row;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${jobId} has no finished row`);
}

const doneOf = (job: Done) => job.events.at(-1)?.data as { status: string; usage: Record<string, number> };

let jobs: { a1: Done; a2: Done; a3: Done; failed: Done; b1: Done };
beforeAll(async () => {
  system = await startSystem({
    vars: { MODEL_PRICES: JSON.stringify({ "scripted-model": PRICE }) },
    secretsOverride: {
      CODE_API_TOKENS: `main:${tokens.main},${tokens.other}`,
      ADMIN_API_TOKENS: `ops:${admin}`,
    },
  });
  await system.github.createRepo("acme", "one", { "README.md": "# one\n" });
  await system.github.createRepo("acme", "two", { "README.md": "# two\n" });
  // One at a time, so created_at orders them as they ran.
  const long = `[a1] ${"a long request ".repeat(30)}`;
  const a1 = await runJob("[a1]", "acme/one", tokens.main, long);
  const a2 = await runJob("[a2]", "acme/two", tokens.main);
  const failed = await runJob("[gone]", "acme/missing", tokens.main);
  const a3 = await runJob("[a3]", "acme/one", tokens.main);
  const b1 = await runJob("[b1]", "acme/one", tokens.other);
  jobs = { a1, a2, a3, failed, b1 };
  for (const job of Object.values(jobs)) await finished(job.jobId);
}, 180_000);
afterAll(async () => {
  await system?.close();
});

describe("GET /jobs", () => {
  it("lists the caller's tenant's jobs, newest first, as each job's events say", async () => {
    const { jobs: rows, nextCursor } = await list("");
    const { a1, a2, a3, failed } = jobs;
    expect(rows.map((r) => r.jobId)).toEqual([a3.jobId, failed.jobId, a2.jobId, a1.jobId]);
    expect(nextCursor).toBeNull();
    const first = rows[3];
    const done = doneOf(a1);
    expect(first).toMatchObject({
      tenant: "api:main",
      requester: "api:main",
      repo: "acme/one",
      status: "succeeded",
      errorCode: null,
      steps: done.usage.steps,
      promptTokens: done.usage.promptTokens,
      completionTokens: done.usage.completionTokens,
      costUsd: done.usage.costUsd,
    });
    expect(first?.prompt).toBe([...String(a1.events[0]?.data.prompt)].slice(0, 200).join(""));
    expect(first?.prompt).toHaveLength(200);
    expect(first?.prUrl).toBe((done as { prUrl?: string }).prUrl);
    expect(first?.prUrl).toMatch(/\/acme\/one\/pull\/\d+$/);
    const gone = rows[1];
    expect(gone).toMatchObject({ status: "failed", errorCode: "repo_not_found", prUrl: null });
    for (const row of rows)
      expect(Date.parse(row.finishedAt ?? "")).toBeGreaterThanOrEqual(Date.parse(row.createdAt));
  });

  it("hides other tenants' jobs, and refuses ?tenant= from a non-admin token", async () => {
    const other = await list("", tokens.other);
    expect(other.jobs.map((r) => r.jobId)).toEqual([jobs.b1.jobId]);
    expect(other.jobs[0]?.tenant).toMatch(/^api:#[0-9a-f]{32}$/);
    const refused = await get("/jobs?tenant=api:main", tokens.other);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ field: "tenant" });
  });

  it("filters by status, repo and since", async () => {
    expect((await list("?status=failed")).jobs.map((r) => r.jobId)).toEqual([jobs.failed.jobId]);
    expect((await list("?status=running")).jobs).toEqual([]);
    expect((await list("?repo=ACME/one")).jobs.map((r) => r.jobId)).toEqual([jobs.a3.jobId, jobs.a1.jobId]);
    const a2 = (await list("")).jobs.find((r) => r.jobId === jobs.a2.jobId);
    const since = encodeURIComponent(a2?.createdAt ?? "");
    expect((await list(`?since=${since}`)).jobs.map((r) => r.jobId)).toEqual([
      jobs.a3.jobId,
      jobs.failed.jobId,
      jobs.a2.jobId,
    ]);
    expect((await list("?status=succeeded&repo=acme/two")).jobs.map((r) => r.jobId)).toEqual([jobs.a2.jobId]);
  });

  it("pages with the cursor: every job once, in order, then no cursor", async () => {
    const all = (await list("", admin)).jobs.map((r) => r.jobId);
    expect(all).toHaveLength(5);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { jobs: Row[]; nextCursor: string | null } = await list(
        `?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        admin,
      );
      expect(page.jobs.length).toBeLessThanOrEqual(2);
      seen.push(...page.jobs.map((r) => r.jobId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(all);
    // Filters and the cursor combine: the tenant's succeeded jobs, one a page.
    const first = await list("?status=succeeded&limit=1");
    const second = await list(`?status=succeeded&limit=1&cursor=${first.nextCursor}`);
    expect([...first.jobs, ...second.jobs].map((r) => r.jobId)).toEqual([jobs.a3.jobId, jobs.a2.jobId]);
  });

  it("shows every tenant to an admin token, or one with ?tenant=", async () => {
    const everyone = await list("", admin);
    expect(new Set(everyone.jobs.map((r) => r.tenant)).size).toBe(2);
    const one = await list(`?tenant=${encodeURIComponent(everyone.jobs[0]?.tenant ?? "")}`, admin);
    expect(one.jobs.map((r) => r.jobId)).toEqual([jobs.b1.jobId]);
    expect((await list("?tenant=api:main", admin)).jobs).toHaveLength(4);
  });

  it.each([
    ["?limit=0", "limit"],
    ["?limit=101", "limit"],
    ["?limit=ten", "limit"],
    ["?status=done", "status"],
    ["?repo=not-a-repo", "repo"],
    ["?since=yesterday", "since"],
    ["?cursor=bm90LWEtY3Vyc29y", "cursor"],
    ["?cursor=%%%", "cursor"],
    ["?colour=red", "colour"],
  ])("refuses %s naming %s", async (query, field) => {
    const response = await get(`/jobs${query}`, tokens.main);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ status: 400, field });
  });

  it("needs a valid token", async () => {
    expect((await fetch(`${system.url}/jobs`)).status).toBe(401);
    expect((await get("/jobs", "wrong-token-0123456789")).status).toBe(401);
    expect((await get("/usage?from=2026-01-01&to=2026-01-02", "wrong-token-0123456789")).status).toBe(401);
  });
});

describe("GET /usage", () => {
  const today = () => new Date().toISOString().slice(0, 10);

  it("totals the tenant's jobs per day, matching their done.usage", async () => {
    const mine = [jobs.a1, jobs.a2, jobs.a3, jobs.failed];
    const rows = (await list("")).jobs;
    const day = rows[0]?.createdAt.slice(0, 10) ?? today();
    const from = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const usage = await usageOf(`?from=${from}&to=${day}`, tokens.main);
    const sum = (key: string) => mine.reduce((n, job) => n + (doneOf(job).usage[key] ?? 0), 0);
    const expected = {
      jobs: { running: 0, succeeded: 3, failed: 1, cancelled: 0, total: 4 },
      steps: sum("steps"),
      promptTokens: sum("promptTokens"),
      completionTokens: sum("completionTokens"),
      tokens: sum("promptTokens") + sum("completionTokens"),
    };
    expect(usage.tenant).toBe("api:main");
    expect(usage.totals).toMatchObject(expected);
    expect(usage.totals.costUsd).toBeCloseTo(sum("costUsd"), 9);
    expect(sum("promptTokens")).toBeGreaterThan(0);
    // Every day of the range, inclusive, the empty one too (all jobs ran on one day, or two at midnight).
    expect(usage.days.map((d) => d.date)).toEqual([from, day]);
    const perDay = usage.days.reduce((n, d) => n + (d.jobs.total ?? 0), 0);
    expect(perDay).toBe(4);
  });

  it("gives an admin every tenant, or one", async () => {
    const rows = (await list("", admin)).jobs;
    const day = rows[0]?.createdAt.slice(0, 10) ?? today();
    const all = await usageOf(`?from=${day}&to=${day}`, admin);
    const other = await usageOf(`?from=${day}&to=${day}`, tokens.other);
    const tenant = encodeURIComponent(other.tenant ?? "");
    const picked = await usageOf(`?from=${day}&to=${day}&tenant=${tenant}`, admin);
    expect(all.tenant).toBeNull();
    // The newest job's day holds every job created that day, whichever tenant's.
    expect(all.totals.jobs.total).toBe(rows.filter((r) => r.createdAt.startsWith(day)).length);
    expect(all.totals.jobs.total).toBeGreaterThan(0);
    expect(picked.tenant).toBe(other.tenant);
    expect(picked.totals).toEqual(other.totals);
    expect(other.totals.jobs.total).toBe(1);
    expect(other.totals.promptTokens).toBe(doneOf(jobs.b1).usage.promptTokens);
  });

  it.each([
    ["", "from"],
    ["?from=2026-01-01", "to"],
    ["?from=2026-13-01&to=2026-12-01", "from"],
    ["?from=2026-02-01&to=2026-01-01", "to"],
    ["?from=2024-01-01&to=2026-01-01", "to"],
    ["?from=2026-01-01T00:00:00Z&to=2026-01-02", "from"],
  ])("refuses %s naming %s", async (query, field) => {
    const response = await get(`/usage${query}`, tokens.main);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ status: 400, field });
  });
});

// Last: it takes the table away for a while.
describe("a D1 failure", () => {
  it("neither fails nor stalls the job, and the row is written once D1 answers again", async () => {
    await system.historySql("ALTER TABLE jobs RENAME TO jobs_away");
    let job: Done;
    try {
      job = await runJob("[no-d1]", "acme/two", tokens.main);
    } finally {
      await system.historySql("ALTER TABLE jobs_away RENAME TO jobs");
    }
    expect(doneOf(job)).toMatchObject({ status: "succeeded" });
    expect(system.logs()).toMatch(new RegExp(`job history.*${job.jobId}|${job.jobId}.*job history`));
    // The writes still queued (retries, later events) make the row whole.
    const row = await finished(job.jobId);
    expect(row).toMatchObject({
      status: "succeeded",
      tenant: "api:main",
      steps: doneOf(job).usage.steps,
      promptTokens: doneOf(job).usage.promptTokens,
    });
  });
});
