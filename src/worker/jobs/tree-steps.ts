/**
 * What every publish (a first turn's new PR, a follow-up's update) does before its last step:
 * check the change set against the policy, then upload the large blobs and write all but the last
 * tree batch, each a durable step whose result is only ids. File contents are read from the
 * sandbox inside the step that uploads them, or come with a small change set (`contents`).
 */
import type { WorkflowStep } from "cloudflare:workers";
import type { Change } from "../../protocol/sandbox";
import type { Deps } from "../deps";
import { JobError } from "../errors";
import { type GitHubClient, gitHubFor } from "../github/client";
import type { applyPolicy } from "../github/policy";
import { type PlannedEntry, planPublish } from "../github/publish-plan";
import { type BlobReader, uploadBlobs, writeTreeBatch } from "../github/publish-tree";
import type { RepoRef } from "../github/repo";
import { durableStep } from "./durable";

/** The change set as the "read changes" step left it: the policy's verdict, maybe its contents. */
export type ChangesRead = {
  total: number;
  policy: ReturnType<typeof applyPolicy>;
  expectedTree: string | null;
  contents: Record<string, string>;
};

/**
 * The changes to publish; null when the run changed nothing. Throws JobError when the policy
 * refused the change set (or all of it), or when a budget stopped a run that changed nothing.
 */
export function publishable(
  input: { stopped: { code: string; message: string } | null },
  found: ChangesRead,
  /** What did not happen, for the messages: "no pull request was opened", say. */
  notDone: string,
) {
  const { total, policy } = found;
  if (!policy.ok) throw new JobError("policy_refused", policy.reason);
  if (total > 0 && policy.changes.length === 0) {
    const list = policy.refused.map((r) => `${r.path}: ${r.reason}`).join("; ");
    throw new JobError(
      "policy_refused",
      `Every change was refused by the publishing policy, so ${notDone}: ${list}.`,
    );
  }
  if (policy.changes.length > 0) return { changes: policy.changes, refused: policy.refused };
  if (input.stopped) {
    throw new JobError(input.stopped.code, `${input.stopped.message} No file was changed, so ${notDone}.`);
  }
  return null;
}

/** One client for every publishing step of a run, so its write budget paces them all. */
export function sharedClient(deps: Deps, repo: RepoRef): () => Promise<GitHubClient> {
  let client: Promise<GitHubClient> | undefined;
  return () => {
    client ??= gitHubFor(deps.github, repo).catch((error: unknown) => {
      client = undefined;
      throw error;
    });
    return client;
  };
}

export interface TreeInput {
  deps: Deps;
  sandboxId: string;
  /** The commit the change set is against, and its tree when the clone read it. */
  baseSha: string;
  baseTreeSha?: string;
}

/** Uploads the blobs and writes every tree batch but the last; the last step writes that one. */
export async function writeTrees(
  step: WorkflowStep,
  input: TreeInput,
  changes: Change[],
  contents: Record<string, string>,
  where: RepoRef,
  gh: () => Promise<GitHubClient>,
): Promise<{ base: string; final: PlannedEntry[]; last: number; read: BlobReader }> {
  const { deps } = input;
  // A result cached by an older version has no contents: it reads blobs.
  const read = withContents(contents, {
    read: (sha, size) => deps.sandboxes.readBlob(input.sandboxId, sha, size),
    readMany: (shas) => deps.sandboxes.readBlobs(input.sandboxId, shas),
  });
  const { blobGroups, treeBatches } = planPublish(changes);
  for (const [i, files] of blobGroups.entries()) {
    await durableStep(step, `blobs ${i + 1} of ${blobGroups.length}`, "github", async () =>
      uploadBlobs(await gh(), where, files, read),
    );
  }
  let tree =
    input.baseTreeSha ??
    (await durableStep(step, "base tree", "github", async () => {
      const { data } = await (await gh()).rest.git.getCommit({ ...where, commit_sha: input.baseSha });
      return data.tree.sha;
    }));
  const last = treeBatches.length;
  for (const [i, batch] of treeBatches.slice(0, -1).entries()) {
    const base = tree;
    tree = await durableStep(step, `tree ${i + 1} of ${last}`, "github", async () =>
      writeTreeBatch(await gh(), where, base, batch, read),
    );
  }
  return { base: tree, final: treeBatches.at(-1) ?? [], last, read };
}

/** `read` with the contents the change set carried served first, so a small one reads no blob. */
function withContents(contents: Record<string, string>, read: BlobReader): BlobReader {
  const known = (sha: string) => {
    const base64 = contents[sha];
    return base64 === undefined ? undefined : Uint8Array.from(Buffer.from(base64, "base64"));
  };
  return {
    read: async (sha, size) => known(sha) ?? read.read(sha, size),
    readMany: async (shas) => {
      const found = new Map<string, Uint8Array>();
      const missing: string[] = [];
      for (const sha of shas) {
        const bytes = known(sha);
        if (bytes) found.set(sha, bytes);
        else missing.push(sha);
      }
      if (missing.length > 0) for (const [sha, bytes] of await read.readMany(missing)) found.set(sha, bytes);
      return found;
    },
  };
}
