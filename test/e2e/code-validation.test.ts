// A table of bad `POST /code` requests against the real Worker: each gets a 4xx problem+json that
// names what is wrong, and none of them creates a job (no sandbox, no model call, no GitHub call).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type System, startSystem } from "./harness";

let system: System;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(async () => {
  await system?.close();
});

const valid = { repoUrl: "acme/api", prompt: "Add a README" };

type Case = {
  name: string;
  status: number;
  body?: unknown | ((s: System) => unknown);
  headers?: Record<string, string>;
  detail?: RegExp;
};

const cases: Case[] = [
  { name: "no token", status: 401, headers: { authorization: "" } },
  { name: "wrong token", status: 401, headers: { authorization: "Bearer nope" } },
  { name: "basic auth", status: 401, headers: { authorization: "Basic dXNlcjpwYXNz" } },
  {
    name: "form body",
    status: 415,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "a=b",
  },
  { name: "no content type", status: 415, headers: { "content-type": "" } },
  { name: "invalid JSON", status: 400, body: "{not json", detail: /not valid JSON/ },
  { name: "JSON array", status: 400, body: "[]" },
  { name: "missing prompt", status: 400, body: { repoUrl: "acme/api" }, detail: /prompt/ },
  { name: "empty prompt", status: 400, body: { ...valid, prompt: "   " }, detail: /prompt/ },
  { name: "prompt too long", status: 400, body: { ...valid, prompt: "x".repeat(20_001) }, detail: /prompt/ },
  { name: "missing repoUrl", status: 400, body: { prompt: "x" }, detail: /repoUrl/ },
  { name: "repoUrl not a string", status: 400, body: { ...valid, repoUrl: 42 }, detail: /repoUrl/ },
  {
    name: "other host",
    status: 400,
    body: { ...valid, repoUrl: "https://gitlab.com/a/b" },
    detail: /repoUrl/,
  },
  {
    name: "credentials in URL",
    status: 400,
    body: (s: System) => ({ ...valid, repoUrl: `${s.github.webUrl.replace("//", "//x:y@")}/acme/api` }),
    detail: /credentials/,
  },
  { name: "path trick", status: 400, body: { ...valid, repoUrl: "acme/../../etc" }, detail: /repoUrl/ },
  {
    name: "bad base branch",
    status: 400,
    body: { ...valid, baseBranch: "main..evil" },
    detail: /baseBranch/,
  },
  { name: "draft not boolean", status: 400, body: { ...valid, draft: "yes" }, detail: /draft/ },
  { name: "unknown field", status: 400, body: { ...valid, shell: "rm -rf /" }, detail: /shell/ },
  { name: "body too large", status: 413, body: { ...valid, prompt: "x".repeat(70_000) } },
];

describe("POST /code refuses bad requests", () => {
  it.each(cases)("$name → $status", async ({ status, body: given, headers, detail }) => {
    const body = typeof given === "function" ? given(system) : given;
    const authorization = headers?.authorization ?? `Bearer ${system.apiToken}`;
    const requestHeaders: Record<string, string> = { "content-type": "application/json", ...headers };
    if (authorization) requestHeaders.authorization = authorization;
    else delete requestHeaders.authorization;
    if (requestHeaders["content-type"] === "") delete requestHeaders["content-type"];
    const response = await fetch(`${system.url}/code`, {
      method: "POST",
      headers: requestHeaders,
      body:
        body === undefined ? JSON.stringify(valid) : typeof body === "string" ? body : JSON.stringify(body),
    });
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const problem = (await response.json()) as { title: string; status: number; detail?: string };
    expect(problem.status).toBe(status);
    if (detail) expect(problem.detail).toMatch(detail);
    if (status === 401) expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("created no job for any of them", async () => {
    const list = await fetch(`${system.service.url}/v1/sandboxes`, {
      headers: { authorization: `Bearer ${system.secrets.SANDBOX_SERVICE_TOKEN}` },
    });
    expect(((await list.json()) as { sandboxes: unknown[] }).sandboxes).toEqual([]);
    expect(system.openai.requests).toHaveLength(0);
    expect(system.github.calls).toHaveLength(0);
  });

  it("is closed to everyone when CODE_API_TOKENS is unset, and says so", async () => {
    const closed = await startSystem({ vars: {}, secretsOverride: { CODE_API_TOKENS: "" } });
    try {
      const response = await fetch(`${closed.url}/code`, {
        method: "POST",
        headers: { authorization: "Bearer anything", "content-type": "application/json" },
        body: JSON.stringify(valid),
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { detail: string }).detail).toMatch(/no API tokens are configured/);
    } finally {
      await closed.close();
    }
  });

  it("answers unknown jobs and routes with 404 problem+json", async () => {
    for (const path of ["/jobs/not-a-uuid", "/jobs/00000000-0000-4000-8000-000000000000", "/nope"]) {
      const response = await fetch(`${system.url}${path}`);
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toMatch(/problem\+json/);
    }
  });
});
