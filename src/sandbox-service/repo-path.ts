/**
 * Checks a file path from a request: relative to the repo root, no `..` escape, no NUL. This is
 * only the lexical half of keeping file access inside the workspace; the other half is that
 * backends open the path inside the sandbox, where symlinks cannot lead to the host.
 */
import { posix } from "node:path";
import { badRequest } from "./errors";

/** The normalized relative path (no leading `./`, no trailing `/`), or a 400 naming the field. */
export function checkRepoPath(path: string, field = "path"): string {
  if (path.length === 0) throw badRequest(`${field}: must not be empty`);
  if (path.length > 4096) throw badRequest(`${field}: longer than 4096 characters`);
  if (path.includes("\0")) throw badRequest(`${field}: must not contain NUL`);
  if (path.startsWith("/")) throw badRequest(`${field}: must be relative to the repository root`);
  const normalized = posix.normalize(path).replace(/\/+$/, "");
  if (normalized === "." || normalized === "") throw badRequest(`${field}: names the repository root`);
  if (normalized === ".." || normalized.startsWith("../")) {
    throw badRequest(`${field}: must not leave the repository root`);
  }
  return normalized;
}
