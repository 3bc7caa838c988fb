/**
 * The one name a job's sandbox has everywhere the service stores it: the local backend's directory,
 * the Modal sandbox name, the Modal state directory. Job ids come from outside (the Worker uses
 * UUIDs, tests use "job/with:odd chars"), so the name keeps a readable part of safe characters and
 * adds a hash of the whole id: unique per job, never `.`/`..`, never a path separator.
 */
import { createHash } from "node:crypto";

/** `job-<readable>-<12 hex>`: `[A-Za-z0-9._-]` only, under 64 characters (Modal's limit). */
export function sandboxName(jobId: string): string {
  const readable = jobId.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 40);
  const digest = createHash("sha256").update(jobId).digest("hex").slice(0, 12);
  return `job-${readable}-${digest}`;
}
