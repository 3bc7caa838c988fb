/**
 * Zod schemas for the request bodies of src/protocol/sandbox.ts, with the service's limits, and
 * the one function that reads and validates a JSON body (415, 400 naming the field).
 */
import type { Context } from "hono";
import { z } from "zod";
import { MAX_CONTEXT_PATHS } from "../protocol/sandbox-schemas";
import type { CloneAuth } from "./backends/types";
import { badRequest, ServiceError } from "./errors";
import { cloneUrlProblem } from "./git-clone";
import { MAX_BLOB_RANGE_BYTES, MAX_OUTPUT_BYTES, MAX_TIMEOUT_MS } from "./limits";

const noNul = (s: string): boolean => !s.includes("\0");

const printable = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]+$/u, "must not contain control characters");

export const createSandboxSchema = z.object({
  jobId: printable(200),
  environment: z
    .object({
      repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, "must be owner/name"),
      cacheKey: z.string().regex(/^[\w.:-]{1,128}$/, "must be 1-128 letters, digits, '.', ':', '_' or '-'"),
      image: printable(512).optional(),
    })
    .optional(),
});

export const environmentReadyRequestSchema = z.object({ save: z.boolean() });

/** Bounds of `ExecRequest.env`: enough for any devcontainer's containerEnv and remoteEnv. */
export const MAX_EXEC_ENV_VARS = 128;
export const MAX_EXEC_ENV_BYTES = 64 * 1024;

const execEnv = z
  .record(
    z
      .string()
      .max(256)
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be [A-Za-z_][A-Za-z0-9_]*")
      // The sandbox's PATH finds its tools and HOME is where its persistent home is bound.
      .refine((name) => name !== "PATH" && name !== "HOME", "PATH and HOME are the sandbox's own"),
    z.string().refine(noNul, "must not contain NUL"),
  )
  .refine((env) => Object.keys(env).length <= MAX_EXEC_ENV_VARS, `at most ${MAX_EXEC_ENV_VARS} variables`)
  .refine(
    (env) => Object.entries(env).reduce((n, [k, v]) => n + k.length + v.length + 2, 0) <= MAX_EXEC_ENV_BYTES,
    `at most ${MAX_EXEC_ENV_BYTES} characters altogether`,
  );

const cloneUrl = z
  .string()
  .min(1)
  .max(4096)
  .superRefine((url, ctx) => {
    const problem = cloneUrlProblem(url);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export const cloneSchema = z.object({
  url: cloneUrl,
  remoteUrl: cloneUrl.optional(),
  ref: z
    .string()
    .min(1)
    .max(255)
    // git check-ref-format's rules, and no leading "-" so it can never read as an option.
    .regex(/^(?!-)(?!.*\.\.)(?!.*@\{)[^\p{Cc} ~^:?*[\\]+$/u, "must be a branch or tag name")
    .optional(),
  full: z.boolean().optional(),
  contextPaths: z
    .array(
      z
        .string()
        .min(1)
        .max(1024)
        // Read as `HEAD:<path>` by git: a plain relative path, no newline to split its batch input.
        .regex(
          /^(?!\/)(?!.*(?:^|\/)\.\.?(?:\/|$))[^\p{Cc}]+$/u,
          "must be a relative path inside the repository",
        ),
    )
    .max(MAX_CONTEXT_PATHS)
    .optional(),
});

/**
 * The clone's `Clone-Ticket` header as the header git sends (`Authorization: Bearer …`); base64url
 * only, so it can never break out of that one header line. Never echoed in an error.
 */
export function cloneAuth(ticket: string | undefined): CloneAuth | undefined {
  if (ticket === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]{16,256}$/.test(ticket))
    throw badRequest("Clone-Ticket: must be 16-256 base64url characters");
  return { httpHeader: `Authorization: Bearer ${ticket}` };
}

export const execSchema = z.object({
  argv: z.array(z.string().refine(noNul, "must not contain NUL")).min(1).max(10_000),
  stdinBase64: z.base64().optional(),
  timeoutMs: z.int().min(1).max(MAX_TIMEOUT_MS).optional(),
  maxOutputBytes: z.int().min(1).max(MAX_OUTPUT_BYTES).optional(),
  idempotencyKey: z.string().min(1).max(256).optional(),
  env: execEnv.optional(),
  // Checked like a file path by the route (repo-path.ts); "." is the root.
  cwd: z.string().max(4096).optional(),
});

export const fileContentSchema = z.object({
  path: z.string(),
  contentBase64: z.base64(),
  mode: z.enum(["100644", "100755", "120000"]).optional(),
});

export const janitorSchema = z.object({
  jobIds: z.array(z.string().min(1).max(200)).max(10_000),
});

/** The path and query of `GET /v1/sandboxes/:id/blobs/:sha` (query values arrive as strings). */
export const blobRangeSchema = z.object({
  sha: z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, "must be a full lowercase blob id"),
  offset: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  length: z.coerce.number().int().min(1).max(MAX_BLOB_RANGE_BYTES).default(MAX_BLOB_RANGE_BYTES),
});

/** The body of `POST /v1/sandboxes/:id/blobs`: blobs read whole, together at most 1 MiB. */
export const blobsSchema = z.object({
  shas: z
    .array(z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, "must be a full lowercase blob id"))
    .min(1)
    .max(1000),
});

/** Validates `input` with `schema`; 400 naming the bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "body"}: ${issue.message}`)
      .join("; ");
    throw badRequest(detail);
  }
  return parsed.data;
}

/** Parses the JSON body of `c` with `schema`; 415 for another media type, 400 naming the bad field. */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new ServiceError(415, "unsupported media type", "send the body as application/json");
  }
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    // The parser's message adds nothing a client can act on beyond "not JSON".
    throw badRequest("body: not valid JSON");
  }
  return parseOrThrow(schema, body);
}
