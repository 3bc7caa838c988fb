// The API description through the real Worker: /openapi.json's request schema is the contract
// written out below by hand (not regenerated from the zod schema, which would compare the schema
// with itself), ajv compiled from the served document and the server give the same verdict on a
// table of real requests, and /docs renders every operation and field as one offline HTML page.
import Ajv2020, { type ErrorObject } from "ajv/dist/2020";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postCode, type System, startSystem } from "./harness";

let system: System;
let doc: {
  paths: Record<string, Record<string, { requestBody?: unknown; responses?: object }>>;
  components: { schemas: { CodeRequest: { properties: Record<string, unknown> } } };
};
beforeAll(async () => {
  // A ceiling of its own, so the server-only ceiling row does not depend on wrangler.toml's.
  system = await startSystem({ vars: { AGENT_LIMIT_CEILINGS: '{"maxSteps":50}' } });
  doc = (await (await fetch(`${system.url}/openapi.json`)).json()) as typeof doc;
});
afterAll(async () => {
  await system?.close();
});

const int = (minimum: number, description: string) => ({
  description,
  type: "integer",
  minimum,
  maximum: Number.MAX_SAFE_INTEGER,
});

/** The published contract of `POST /code`'s body; changing it is an API change, made here on purpose. */
const expectedCodeRequest = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  properties: {
    repoUrl: {
      type: "string",
      minLength: 1,
      maxLength: 300,
      description: "`owner/repo` or `https://github.com/owner/repo`",
    },
    prompt: {
      type: "string",
      minLength: 1,
      maxLength: 20_000,
      pattern: "\\S",
      description: "What the agent should do, in plain words.",
    },
    baseBranch: {
      description: "Branch to start from and open the PR against; the repository's default when absent.",
      type: "string",
      maxLength: 255,
    },
    draft: {
      description:
        "Open the pull request as a draft; the deployment's default (PR_DRAFT_DEFAULT) when absent.",
      type: "boolean",
    },
    limits: {
      description:
        "Budgets for this job, up to the deployment's ceilings (above them the request is refused).",
      type: "object",
      properties: {
        maxSteps: int(1, "Tool calls before the run stops."),
        maxTokens: int(1000, "Prompt + completion tokens."),
        maxMinutes: { description: "Wall time of the whole job.", type: "number", exclusiveMinimum: 0 },
        commandTimeoutSeconds: int(1, "Time limit of one command."),
      },
      additionalProperties: false,
    },
  },
  required: ["repoUrl", "prompt"],
  additionalProperties: false,
};

const ok = { repoUrl: "acme/api", prompt: "add a test" };
/** `schema`: ajv's verdict on the served schema; `field`: what the server refuses (400), absent = 200. */
type Row = [name: string, body: unknown, schema: boolean, field?: string];
const rows: Row[] = [
  ["minimal", ok, true],
  [
    "every field",
    {
      ...ok,
      baseBranch: "main",
      draft: false,
      limits: { maxSteps: 5, maxTokens: 1000, maxMinutes: 0.5, commandTimeoutSeconds: 10 },
    },
    true,
  ],
  ["empty limits", { ...ok, limits: {} }, true],
  ["longest prompt", { ...ok, prompt: "x".repeat(20_000) }, true],
  ["prompt with surrounding spaces", { ...ok, prompt: "  add a test \n" }, true],
  ["not an object", [ok], false, "body"],
  ["null body", null, false, "body"],
  ["empty object", {}, false, "repoUrl"],
  ["no prompt", { repoUrl: "acme/api" }, false, "prompt"],
  ["no repoUrl", { prompt: "x" }, false, "repoUrl"],
  ["repoUrl a number", { ...ok, repoUrl: 5 }, false, "repoUrl"],
  ["repoUrl empty", { ...ok, repoUrl: "" }, false, "repoUrl"],
  ["repoUrl too long", { ...ok, repoUrl: `acme/${"a".repeat(296)}` }, false, "repoUrl"],
  ["prompt empty", { ...ok, prompt: "" }, false, "prompt"],
  ["prompt blank", { ...ok, prompt: " \n\t " }, false, "prompt"],
  ["prompt null", { ...ok, prompt: null }, false, "prompt"],
  ["prompt too long", { ...ok, prompt: "x".repeat(20_001) }, false, "prompt"],
  ["prompt too long before trimming", { ...ok, prompt: `${"x".repeat(20_000)} ` }, false, "prompt"],
  ["unknown field", { ...ok, extra: 1 }, false, "extra"],
  ["draft a string", { ...ok, draft: "yes" }, false, "draft"],
  ["baseBranch a number", { ...ok, baseBranch: 5 }, false, "baseBranch"],
  ["baseBranch too long", { ...ok, baseBranch: "b".repeat(256) }, false, "baseBranch"],
  ["limits an array", { ...ok, limits: [] }, false, "limits"],
  ["limits unknown key", { ...ok, limits: { maxCost: 1 } }, false, "limits"],
  ["maxSteps zero", { ...ok, limits: { maxSteps: 0 } }, false, "limits.maxSteps"],
  ["maxSteps fractional", { ...ok, limits: { maxSteps: 1.5 } }, false, "limits.maxSteps"],
  ["maxSteps unsafe integer", { ...ok, limits: { maxSteps: 2 ** 60 } }, false, "limits.maxSteps"],
  ["maxTokens below 1000", { ...ok, limits: { maxTokens: 999 } }, false, "limits.maxTokens"],
  ["maxMinutes zero", { ...ok, limits: { maxMinutes: 0 } }, false, "limits.maxMinutes"],
  [
    "commandTimeoutSeconds a string",
    { ...ok, limits: { commandTimeoutSeconds: "9" } },
    false,
    "limits.commandTimeoutSeconds",
  ],
  // Rules JSON Schema does not carry, checked by the server alone: the repository grammar and host,
  // git's branch-name rules, and this deployment's ceilings (AGENT_LIMIT_CEILINGS above).
  ["repoUrl not owner/repo", { ...ok, repoUrl: "acme" }, true, "repoUrl"],
  ["repoUrl on another host", { ...ok, repoUrl: "https://gitlab.com/acme/api" }, true, "repoUrl"],
  ["baseBranch with ..", { ...ok, baseBranch: "main..evil" }, true, "baseBranch"],
  ["maxSteps above the ceiling", { ...ok, limits: { maxSteps: 51 } }, true, "limits.maxSteps"],
];

/** The field an ajv error is about, spelled as the server's problem `field`. */
function ajvField(error: ErrorObject | undefined): string {
  const path = (error?.instancePath ?? "").slice(1).replaceAll("/", ".");
  const params = error?.params as { additionalProperty?: string; missingProperty?: string } | undefined;
  return path || params?.additionalProperty || params?.missingProperty || "body";
}

describe("GET /openapi.json", () => {
  it("publishes the request body contract and every operation", () => {
    expect(doc.components.schemas.CodeRequest).toEqual(expectedCodeRequest);
    expect(doc.paths["/code"]?.post?.requestBody).toEqual({
      required: true,
      content: { "application/json": { schema: { $ref: "#/components/schemas/CodeRequest" } } },
    });
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/code",
      "/jobs",
      "/jobs/{id}",
      "/jobs/{id}/cancel",
      "/jobs/{id}/diff",
      "/jobs/{id}/events",
      "/jobs/{id}/followups",
      "/readyz",
      "/usage",
    ]);
    expect(Object.keys(doc.paths["/code"]?.post?.responses ?? {})).toContain("429");
  });

  it.each(rows)("ajv and the server agree on %s", async (_name, body, schemaValid, field) => {
    const validate = new Ajv2020({ strict: true }).compile(doc.components.schemas.CodeRequest);
    expect(validate(body)).toBe(schemaValid);
    if (!schemaValid) expect(ajvField(validate.errors?.[0])).toBe(field);
    const response = await postCode(system, body);
    if (field === undefined) {
      expect(response.status).toBe(200);
      const jobId = response.headers.get("x-job-id");
      expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
      await response.body?.cancel();
      // Only the verdict matters here: stop the job (it may already have failed on the unknown repo).
      const cancel = await fetch(`${system.url}/jobs/${jobId}/cancel`, {
        method: "POST",
        headers: { authorization: `Bearer ${system.apiToken}` },
      });
      await cancel.arrayBuffer();
      return;
    }
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ status: 400, field });
  });
});

describe("GET /docs", () => {
  it("renders every operation and request field, offline", async () => {
    const response = await fetch(`${system.url}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/text\/html/);
    const html = await response.text();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item)) expect(html).toContain(`${method.toUpperCase()} ${path}`);
    }
    for (const field of Object.keys(expectedCodeRequest.properties)) {
      expect(html).toContain(`<code>${field}</code>`);
    }
    expect(html).toContain("Idempotency-Key");
    // Nothing loaded from elsewhere: no script, no stylesheet link, no remote src or href.
    expect(html).not.toMatch(/<script|<link|(src|href)="https?:/i);
  });
});
