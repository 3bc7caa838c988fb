/**
 * What the environment depends on, read from GitHub before the sandbox starts (so the cache key is
 * known when it is provisioned): the branch's root tree, its lockfiles (path and blob id) and the
 * devcontainer.json, `.devcontainer/devcontainer.json` first and then `.devcontainer.json`, as the
 * Dev Container spec looks for them. Lockfiles in subdirectories are not read: only the root's.
 */
import { SetupError } from "../errors";
import type { GitHubClient } from "../github/client";
import type { RepoRef } from "../github/repo";

/** The lockfiles of the ecosystems the cache knows, by name at the repository root. */
const LOCKFILE =
  /^(package-lock\.json|pnpm-lock\.yaml|yarn\.lock|bun\.lockb|requirements[^/]*\.txt|poetry\.lock|uv\.lock|Cargo\.lock|go\.sum|Gemfile\.lock)$/;

/** A devcontainer.json larger than this is refused rather than read. */
const MAX_DEVCONTAINER_BYTES = 256 * 1024;

export interface RepoFile {
  path: string;
  /** The git blob id. */
  sha: string;
}

export interface EnvironmentFiles {
  devcontainer?: RepoFile & { text: string };
  lockfiles: RepoFile[];
}

export function isLockfile(name: string): boolean {
  return LOCKFILE.test(name);
}

/** Reads the environment's files of `repo` at branch `ref`; null when GitHub knows no such branch. */
export async function readEnvironmentFiles(
  github: GitHubClient,
  repo: RepoRef,
  ref: string,
): Promise<EnvironmentFiles | null> {
  const { owner, repo: name } = repo;
  const branch = await github.rest.repos
    .getBranch({ owner, repo: name, branch: ref })
    .then((r) => r.data)
    .catch((error: unknown) => {
      // A branch that is not there (or a fork out of the credential's reach): the caller decides.
      if ((error as { status?: unknown } | null)?.status === 404) return null;
      throw error;
    });
  if (!branch) return null;
  const tree = (sha: string) => github.rest.git.getTree({ owner, repo: name, tree_sha: sha });
  const { data: root } = await tree(branch.commit.commit.tree.sha);
  const blob = (path: string) => root.tree.find((e) => e.path === path && e.type === "blob" && e.sha);
  const lockfiles = root.tree
    .filter((e) => e.type === "blob" && e.path !== undefined && e.sha !== undefined && isLockfile(e.path))
    .map((e) => ({ path: e.path as string, sha: e.sha as string }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  let found: RepoFile | undefined;
  const folder = root.tree.find((e) => e.path === ".devcontainer" && e.type === "tree" && e.sha);
  if (folder?.sha) {
    const { data: inner } = await tree(folder.sha);
    const file = inner.tree.find((e) => e.path === "devcontainer.json" && e.type === "blob" && e.sha);
    if (file?.sha) found = { path: ".devcontainer/devcontainer.json", sha: file.sha };
  }
  const rootFile = blob(".devcontainer.json");
  if (!found && rootFile?.sha) found = { path: ".devcontainer.json", sha: rootFile.sha };
  if (!found) return { lockfiles };
  const { data } = await github.rest.git.getBlob({ owner, repo: name, file_sha: found.sha });
  if ((data.size ?? 0) > MAX_DEVCONTAINER_BYTES) {
    throw new SetupError(`${found.path} is ${data.size} bytes; at most ${MAX_DEVCONTAINER_BYTES} are read.`);
  }
  const bytes =
    data.encoding === "base64"
      ? Uint8Array.from(atob(data.content.replace(/\s+/g, "")), (c) => c.charCodeAt(0))
      : new TextEncoder().encode(data.content);
  return { devcontainer: { ...found, text: new TextDecoder().decode(bytes) }, lockfiles };
}
