// GET /jobs/:id over plain HTTP on the real Worker: one URL for two readers (a browser's Accept gets
// the page, anything else the unchanged JSON snapshot, with Vary: Accept), 404s in both forms, the
// security headers on the page, the 404 page and the assets, and the SSE stream's `retry:`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postCode, type System, startSystem } from "./harness";
import { collectEvents, type ParsedEvent } from "./sse";

const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const SNAPSHOT_KEYS = [
  "baseBranch",
  "createdAt",
  "error",
  "followUpOf",
  "followUps",
  "jobId",
  "lastSeq",
  "phase",
  "pr",
  "prompt",
  "repo",
  "status",
  "updatedAt",
  "usage",
];

let system: System;
let events: ParsedEvent[];
let jobId: string;

beforeAll(async () => {
  system = await startSystem();
  await system.github.createRepo("acme", "web", { "README.md": "# web\n" });
  system.openai.setScript([
    {
      content: "Reading <b>the</b> README.",
      toolCalls: [{ name: "bash", arguments: { command: "cat README.md" } }],
    },
    { toolCalls: [{ name: "edit", arguments: { path: "README.md", old: "# web", new: "# web & more" } }] },
    { toolCalls: [{ name: "finish", arguments: { title: "Retitle", summary: "Retitled." } }] },
  ]);
  const response = await postCode(system, { repoUrl: "acme/web", prompt: "Retitle <the> README & say so" });
  expect(response.status).toBe(200);
  events = (await collectEvents(response)).events;
  jobId = String(events[0]?.data.jobId);
});
afterAll(async () => {
  await system?.close();
});

function expectPageHeaders(response: Response) {
  expect(response.headers.get("content-security-policy")).toBe(CSP);
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  expect(response.headers.get("referrer-policy")).toBe("no-referrer");
}

describe("GET /jobs/:id negotiation", () => {
  it("gives a browser the server-rendered page with every step, the escaped prompt and the PR", async () => {
    expect(events.at(-1)).toMatchObject({ type: "done", data: { status: "succeeded" } });
    const response = await fetch(`${system.url}/jobs/${jobId}`, { headers: { accept: BROWSER_ACCEPT } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("vary")).toBe("Accept");
    expectPageHeaders(response);
    const html = await response.text();
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain(`<main id="job" data-job-id="${jobId}" data-last-seq="${events.at(-1)?.id}"`);
    expect(html).toContain('data-status="succeeded"');
    const steps = events.filter((e) => e.type === "step");
    expect(html.match(/<li class="step" data-seq="\d+">/g)).toEqual(
      steps.map((s) => `<li class="step" data-seq="${s.id}">`),
    );
    expect(html).toContain("Retitle &lt;the&gt; README &amp; say so");
    expect(html).toContain("Reading &lt;b&gt;the&lt;/b&gt; README.");
    const pr = events.find((e) => e.type === "pr")?.data as { url: string };
    expect(html).toContain(`<a id="pr-link" href="${pr.url}">`);
    expect(html).toContain(`href="${system.github.webUrl}/acme/web"`);
    expect(html).not.toMatch(/<script>|style=/);
    for (const value of Object.values(system.secrets)) expect(html).not.toContain(value);
  });

  it("keeps the JSON snapshot for API clients: no Accept, */* and application/json", async () => {
    const bodies = [];
    for (const accept of [undefined, "*/*", "application/json", "application/json, text/html;q=0.5"]) {
      const response = await fetch(`${system.url}/jobs/${jobId}`, {
        headers: accept === undefined ? {} : { accept },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(response.headers.get("vary")).toBe("Accept");
      bodies.push((await response.json()) as Record<string, unknown>);
    }
    expect(Object.keys(bodies[0] ?? {}).sort()).toEqual(SNAPSHOT_KEYS);
    expect(bodies[0]).toMatchObject({
      jobId,
      status: "succeeded",
      phase: "done",
      lastSeq: events.at(-1)?.id,
    });
    for (const body of bodies) expect(body).toEqual(bodies[0]);
  });

  it("answers an unknown or malformed id with a 404 page for browsers and problem+json otherwise", async () => {
    for (const id of [crypto.randomUUID(), "not-a-job<script>"]) {
      const url = `${system.url}/jobs/${encodeURIComponent(id)}`;
      const page = await fetch(url, { headers: { accept: BROWSER_ACCEPT } });
      expect(page.status).toBe(404);
      expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expectPageHeaders(page);
      const html = await page.text();
      expect(html).toContain("<h1>Job not found</h1>");
      expect(html).not.toContain("<script>");
      const api = await fetch(url);
      expect(api.status).toBe(404);
      expect(api.headers.get("content-type")).toBe("application/problem+json");
      expect(await api.json()).toMatchObject({ status: 404, title: "Job not found" });
    }
  });
});

describe("the page's assets and stream", () => {
  it("serves job.js and job.css same-origin with the page's headers", async () => {
    for (const [path, type] of [
      ["/job.js", /^(text|application)\/javascript/],
      ["/job.css", /^text\/css/],
    ] as const) {
      const response = await fetch(`${system.url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(type);
      expectPageHeaders(response);
      expect((await response.text()).length).toBeGreaterThan(500);
    }
    // The headers file configures the assets; it is not one of them.
    const rules = await fetch(`${system.url}/_headers`);
    expect(rules.status).toBe(404);
    expect(await rules.text()).not.toContain("Content-Security-Policy");
  });

  it("starts every event stream with retry:, and resumes from the later of ?after= and Last-Event-ID", async () => {
    const raw = await (await fetch(`${system.url}/jobs/${jobId}/events`)).text();
    expect(raw.startsWith("retry: 2000\n\n")).toBe(true);
    const resumed = await collectEvents(
      await fetch(`${system.url}/jobs/${jobId}/events?after=2`, { headers: { "last-event-id": "5" } }),
    );
    expect(resumed.events).toEqual(events.slice(5));
  });
});
