/**
 * The `ExecSpec` a backend runs for an exec request (defaults applied, stdin decoded, `cwd`
 * checked like a file path), and the fingerprint an idempotency key is bound to: the same key
 * with another argv, stdin, environment or directory is a different command (409).
 */
import { createHash } from "node:crypto";
import type { z } from "zod";
import type { ExecSpec } from "./backends/types";
import { DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_TIMEOUT_MS } from "./limits";
import { checkRepoPath } from "./repo-path";
import type { execSchema } from "./schemas";

export function execSpecOf(body: z.infer<typeof execSchema>): { spec: ExecSpec; fingerprint: string } {
  const spec: ExecSpec = {
    argv: body.argv,
    timeoutMs: body.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxOutputBytes: body.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
  };
  if (body.stdinBase64 !== undefined) spec.stdin = Buffer.from(body.stdinBase64, "base64");
  if (body.env !== undefined && Object.keys(body.env).length > 0) spec.env = body.env;
  // "." (or "./") names the root, which is where a command runs anyway.
  const cwd = body.cwd === undefined || /^\.\/?$/.test(body.cwd) ? undefined : checkRepoPath(body.cwd, "cwd");
  if (cwd !== undefined) spec.cwd = cwd;
  const identity: unknown[] = [body.argv, body.stdinBase64 ?? null];
  // Only when present, so keys recorded before env and cwd existed keep their fingerprints.
  if (spec.env !== undefined || cwd !== undefined) identity.push(spec.env ?? null, cwd ?? null);
  const fingerprint = createHash("sha256").update(JSON.stringify(identity)).digest("hex");
  return { spec, fingerprint };
}
