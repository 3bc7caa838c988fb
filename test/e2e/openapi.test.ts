// The API description through the real Worker: /openapi.json carries the request schema generated
// from the zod schema that validates POST /code (and ajv agrees with the server on sample bodies),
// and /docs renders every operation and field as one offline HTML page (no script, no CDN).
import Ajv2020 from "ajv/dist/2020";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { codeRequestSchema } from "../../src/worker/routes/code-schema";
import { postCode, type System, startSystem } from "./harness";

let system: System;
let doc: {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: { CodeRequest: { properties: Record<string, unknown> } } };
};
beforeAll(async () => {
  system = await startSystem();
  doc = (await (await fetch(`${system.url}/openapi.json`)).json()) as typeof doc;
});
afterAll(async () => {
  await system?.close();
});

describe("GET /openapi.json", () => {
  it("describes the request body with the schema that validates it", () => {
    expect(doc.components.schemas.CodeRequest).toEqual(
      JSON.parse(JSON.stringify(z.toJSONSchema(codeRequestSchema))),
    );
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/code",
      "/jobs/{id}",
      "/jobs/{id}/cancel",
      "/jobs/{id}/events",
    ]);
    const post = doc.paths["/code"]?.post as { responses: object } | undefined;
    expect(Object.keys(post?.responses ?? {})).toContain("429");
  });

  it("agrees with the server about which bodies are valid", async () => {
    const validate = new Ajv2020({ strict: false }).compile(doc.components.schemas.CodeRequest);
    expect(validate({ repoUrl: "acme/api", prompt: "add a test", draft: true })).toBe(true);
    const invalid = [
      {},
      { repoUrl: "acme/api" },
      { repoUrl: 5, prompt: "x" },
      { repoUrl: "acme/api", prompt: "x", extra: 1 },
      { repoUrl: "acme/api", prompt: "x", draft: "yes" },
      { repoUrl: "acme/api", prompt: "x".repeat(20_001) },
      { repoUrl: "acme/api", prompt: "x", limits: { maxSteps: 0 } },
    ];
    for (const body of invalid) {
      expect(validate(body), JSON.stringify(body).slice(0, 60)).toBe(false);
      const response = await postCode(system, body);
      expect(response.status).toBe(400);
      await response.arrayBuffer();
    }
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
    for (const field of Object.keys(doc.components.schemas.CodeRequest.properties)) {
      expect(html).toContain(`<code>${field}</code>`);
    }
    expect(html).toContain("Idempotency-Key");
    // Nothing loaded from elsewhere: no script, no stylesheet link, no remote src or href.
    expect(html).not.toMatch(/<script|<link|(src|href)="https?:/i);
  });
});
