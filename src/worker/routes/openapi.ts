/**
 * The OpenAPI 3.1 description served at `/openapi.json` (and rendered at `/docs`). Request schemas
 * are generated from the same zod schemas that validate requests, so the two cannot drift.
 */
import { z } from "zod";
import { listQuerySchema, usageQuerySchema } from "../history/query";
import { codeRequestSchema, followUpRequestSchema } from "./code-schema";
import { conversationPaths } from "./openapi-conversations";
import { jobId, problem, retryAfter } from "./openapi-parts";

/** One readiness check's result: `ok`, how long it took, and when it failed, why. */
function check(extra: Record<string, object>) {
  return {
    type: "object",
    required: ["ok", "ms"],
    properties: {
      ok: { type: "boolean" },
      ms: { type: "number", minimum: 0 },
      error: { type: "string", description: "What failed, when `ok` is false" },
      ...extra,
    },
  };
}

/** A query-string schema (history/query.ts) as OpenAPI parameters, one per field. */
function queryParameters(schema: z.ZodObject) {
  return Object.entries(schema.shape).map(([name, field]) => {
    const { $schema: _, description, ...json } = z.toJSONSchema(field as z.ZodType, { io: "input" });
    return {
      name,
      in: "query",
      required: !(field as z.ZodType).safeParse(undefined).success,
      description,
      schema: json,
    };
  });
}

const historyAuth = {
  "400": { description: "Invalid query parameter (`field` names it)", content: problem },
  "401": { description: "Missing or wrong token", content: problem },
  "403": { description: "`tenant` given with a token that is not an admin token", content: problem },
};

/** The whole document; cheap enough to build per request. */
export function openApiDocument() {
  return {
    openapi: "3.1.0",
    info: {
      title: "Modal Coding Agent",
      version: "0.1.0",
      description: "Turn a request into a GitHub pull request.",
    },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        CodeRequest: z.toJSONSchema(codeRequestSchema),
        FollowUpRequest: z.toJSONSchema(followUpRequestSchema),
        Readiness: {
          type: "object",
          required: ["status", "checks"],
          properties: {
            status: { const: "ready" },
            checks: { $ref: "#/components/schemas/ReadinessChecks" },
          },
        },
        NotReady: {
          type: "object",
          required: ["title", "status", "detail", "checks"],
          properties: {
            type: { type: "string" },
            title: { type: "string" },
            status: { const: 503 },
            detail: { type: "string" },
            checks: { $ref: "#/components/schemas/ReadinessChecks" },
          },
        },
        ReadinessChecks: {
          type: "object",
          required: ["sandbox", "database", "config"],
          properties: {
            sandbox: check({ backend: { enum: ["local", "modal"] } }),
            database: check({}),
            config: {
              type: "object",
              required: ["ok"],
              properties: {
                ok: { type: "boolean" },
                missing: { type: "array", items: { type: "string" }, description: "Keys to set or fix" },
                error: { type: "string" },
              },
            },
          },
        },
        Problem: {
          type: "object",
          required: ["title", "status"],
          properties: {
            type: { type: "string" },
            title: { type: "string" },
            status: { type: "integer" },
            detail: { type: "string" },
          },
        },
      },
    },
    paths: {
      "/code": {
        post: {
          summary: "Start a job; stream its events",
          security: [{ bearer: [] }],
          parameters: [
            {
              name: "Idempotency-Key",
              in: "header",
              required: false,
              description:
                "Up to 255 printable ASCII characters. The same key with the same body within 24 h streams the job it started instead of starting another.",
              schema: { type: "string", maxLength: 255 },
            },
          ],
          requestBody: {
            required: true,
            content: { "application/json": { schema: { $ref: "#/components/schemas/CodeRequest" } } },
          },
          responses: {
            "200": {
              description: "Server-sent events: job, status, step, message, pr, error, done",
              content: { "text/event-stream": {} },
            },
            "400": { description: "Invalid field", content: problem },
            "401": { description: "Missing or wrong token", content: problem },
            "409": { description: "Idempotency-Key reused with a different body", content: problem },
            "413": { description: "Body too large", content: problem },
            "415": { description: "Not JSON", content: problem },
            "429": {
              description: "Too many jobs for this token (per minute, or running at once)",
              headers: retryAfter,
              content: problem,
            },
          },
        },
      },
      "/readyz": {
        get: {
          summary: "Readiness: the sandbox service and its backend, D1, the configuration",
          description:
            "Each check runs concurrently with a 3 s deadline: the sandbox service's `GET /v1/ready` (bubblewrap runs a jailed `true`, or Modal accepts the credentials), `SELECT 1` on D1 (`DB`), and the keys jobs need. `/healthz` stays the cheap liveness probe.",
          security: [{ bearer: [] }],
          responses: {
            "200": {
              description: "Every check passed",
              content: { "application/json": { schema: { $ref: "#/components/schemas/Readiness" } } },
            },
            "401": { description: "Missing or wrong token", content: problem },
            "503": {
              description: "Not ready: `detail` names each failing part and why, `checks` has every result",
              content: {
                "application/problem+json": { schema: { $ref: "#/components/schemas/NotReady" } },
              },
            },
          },
        },
      },
      "/jobs": {
        get: {
          summary:
            "The job history: the token's tenant's jobs (every tenant's for ADMIN_API_TOKENS), newest first",
          security: [{ bearer: [] }],
          parameters: queryParameters(listQuerySchema),
          responses: {
            "200": {
              description:
                "`{ jobs: [{ jobId, tenant, requester, repo, prompt (200 characters), status, errorCode, prUrl, steps, promptTokens, completionTokens, costUsd, createdAt, finishedAt, followUpOf }], nextCursor }`; nextCursor is null on the last page",
              content: { "application/json": {} },
            },
            ...historyAuth,
          },
        },
      },
      "/usage": {
        get: {
          summary:
            "Per-day totals of the token's tenant (every tenant's for ADMIN_API_TOKENS): jobs by status, tokens, cost",
          security: [{ bearer: [] }],
          parameters: queryParameters(usageQuerySchema),
          responses: {
            "200": {
              description:
                "`{ from, to, tenant, days: [{ date, jobs: { running, succeeded, failed, cancelled, total }, steps, promptTokens, completionTokens, tokens, costUsd }], totals }`, every day of the range, by the day (UTC) each job was created",
              content: { "application/json": {} },
            },
            ...historyAuth,
          },
        },
      },
      "/jobs/{id}": {
        get: {
          summary: "Job snapshot (JSON), or the live job page for an Accept preferring text/html",
          parameters: [jobId],
          responses: {
            "200": {
              description:
                "JSON snapshot: status, phase, repo, PR, error, usage, followUpOf and followUps (the PR's later turns); the HTML job page for browsers (Vary: Accept)",
            },
            "404": { description: "Unknown job", content: problem },
          },
        },
      },
      "/jobs/{id}/events": {
        get: {
          summary: "Replay then follow a job's events (Last-Event-ID or ?after=N)",
          parameters: [
            jobId,
            { name: "after", in: "query", required: false, schema: { type: "integer", minimum: 0 } },
            { name: "Last-Event-ID", in: "header", required: false, schema: { type: "integer", minimum: 0 } },
          ],
          responses: {
            "200": { description: "Server-sent events", content: { "text/event-stream": {} } },
            "400": { description: "Invalid position", content: problem },
            "404": { description: "Unknown job", content: problem },
          },
        },
      },
      "/jobs/{id}/diff": {
        get: {
          summary: "The job's change as a unified diff, bounded (from when publishing starts)",
          parameters: [jobId],
          responses: {
            "200": {
              description: "git's unified diff, truncated past 64 KiB a file and 512 KiB in all",
              content: { "text/x-diff": {} },
            },
            "404": { description: "Unknown job, or no diff yet (Diff not available)", content: problem },
          },
        },
      },
      "/jobs/{id}/cancel": {
        post: {
          summary: "Cancel a running job",
          security: [{ bearer: [] }],
          parameters: [jobId],
          responses: {
            "202": { description: "Cancelled" },
            "404": { description: "Unknown job", content: problem },
            "409": { description: "Already finished", content: problem },
          },
        },
      },
      ...conversationPaths,
    },
  };
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;
