/**
 * Service metadata: `/healthz` for load balancers and `/openapi.json`, whose request schema is
 * generated from the same zod schema that validates `POST /code`, so the two cannot drift.
 */
import { Hono } from "hono";
import { z } from "zod";
import { codeRequestSchema } from "./code";

const problem = { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } };

function openApiDocument() {
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
        CodeRequest: z.toJSONSchema(codeRequestSchema, { target: "openapi-3.0" }),
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
            "413": { description: "Body too large", content: problem },
            "415": { description: "Not JSON", content: problem },
          },
        },
      },
      "/jobs/{id}": {
        get: {
          summary: "Job snapshot",
          responses: {
            "200": { description: "JSON snapshot" },
            "404": { description: "Unknown job", content: problem },
          },
        },
      },
      "/jobs/{id}/events": {
        get: {
          summary: "Replay then follow a job's events (Last-Event-ID or ?after=N)",
          responses: { "200": { description: "Server-sent events", content: { "text/event-stream": {} } } },
        },
      },
      "/jobs/{id}/cancel": {
        post: {
          summary: "Cancel a running job",
          security: [{ bearer: [] }],
          responses: {
            "202": { description: "Cancelled" },
            "409": { description: "Already finished", content: problem },
          },
        },
      },
    },
  };
}

export const meta = new Hono<{ Bindings: Env }>()
  .get("/healthz", (c) => c.json({ ok: true }))
  .get("/openapi.json", (c) => c.json(openApiDocument()));
