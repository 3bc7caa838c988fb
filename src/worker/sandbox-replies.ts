/**
 * How the sandbox service client (sandbox.ts) reads a reply: a 2xx body against the protocol's
 * schema, and a problem+json refusal as the SandboxError's parts.
 */
import type { z } from "zod";
import type { SandboxProblem } from "../protocol/sandbox";
import { sandboxProblemSchema } from "../protocol/sandbox-schemas";
import { SandboxError } from "./errors";

/**
 * A 2xx body checked with `schema`. Not JSON at all is most likely something in between (a proxy's
 * page), so retryable; JSON of the wrong shape is a service speaking another protocol version, which
 * a retry does not fix, so not retryable; either way the message names the field.
 */
export function parseReply<S extends z.ZodType>(
  schema: S,
  text: string,
  route: string,
  status: number,
): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Reported below with the status and the start of the body.
    throw new SandboxError(
      `sandbox service ${route}: reply is not JSON (HTTP ${status}): ${text.slice(0, 200)}`,
      status,
      true,
    );
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "body"}: ${issue.message}`)
    .join("; ");
  throw new SandboxError(`sandbox service ${route}: malformed reply — ${issues}`, status, false);
}

export function parseProblem(text: string, status: number): SandboxProblem {
  try {
    const parsed = sandboxProblemSchema.partial().safeParse(JSON.parse(text));
    const problem = parsed.success ? parsed.data : {};
    return {
      title: problem.title ?? `HTTP ${status}`,
      status,
      detail: problem.detail,
      retryable: problem.retryable ?? status >= 500,
    };
  } catch {
    // Not JSON (a proxy's error page, say): judge by the status alone.
    return { title: `HTTP ${status}`, status, detail: text.slice(0, 200), retryable: status >= 500 };
  }
}
