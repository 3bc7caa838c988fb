/**
 * The content-moving half of publishing (DESIGN.md decision 3): blobs uploaded with `git/blobs`,
 * trees built batch by batch with text inline, and the check that the finished tree holds exactly
 * the sandbox's blob ids and modes at every changed path, so the branch has the bytes the agent wrote.
 */
import type { Change } from "../../protocol/sandbox";
import { JobError } from "../errors";
import type { GitHubClient } from "./client";
import type { PlannedEntry, Present } from "./publish-plan";
import type { RepoRef } from "./repo";

/** Where blob contents come from: the sandbox, in calls of at most `BLOB_PIECE_BYTES`. */
export interface BlobReader {
  /** One blob of any size, read in pieces. */
  read(sha: string, size: number): Promise<Uint8Array>;
  /** Small blobs whole, together at most `BLOB_PIECE_BYTES`, by sha. */
  readMany(shas: string[]): Promise<Map<string, Uint8Array>>;
}

/** Contents moved per sandbox call (the service's own bound). */
const PIECE_BYTES = 1024 * 1024;

type TreeEntry = {
  path: string;
  mode: "100644" | "100755" | "120000";
  type: "blob";
  sha?: string | null;
  content?: string;
};

// ignoreBOM keeps a leading byte-order mark as content instead of dropping it.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The text of `bytes` when it can travel as a JSON string unchanged: valid UTF-8 without NUL. */
export function asText(bytes: Uint8Array): string | null {
  if (bytes.includes(0)) return null;
  try {
    return utf8.decode(bytes);
  } catch {
    // Not UTF-8: the bytes go as a base64 blob instead.
    return null;
  }
}

/** Uploads `bytes` as a blob and checks GitHub computed the sandbox's id for it. */
async function createBlob(
  octokit: GitHubClient,
  where: RepoRef,
  path: string,
  sha: string,
  bytes: Uint8Array,
) {
  const { data } = await octokit.rest.git.createBlob({
    ...where,
    content: Buffer.from(bytes).toString("base64"),
    encoding: "base64",
  });
  if (data.sha !== sha) {
    throw new JobError(
      "publish_mismatch",
      `GitHub stored ${path} as blob ${data.sha}, but the sandbox had ${sha}; nothing was pushed.`,
    );
  }
}

/** Uploads one group of files as blobs; each one's bytes are read and sent, then dropped. */
export async function uploadBlobs(
  octokit: GitHubClient,
  where: RepoRef,
  files: Present[],
  read: BlobReader,
): Promise<number> {
  for (const file of files)
    await createBlob(octokit, where, file.path, file.sha, await read.read(file.sha, file.size));
  return files.length;
}

/**
 * Creates the tree of one batch on `baseTree`: inline entries carry their text as `content`
 * (a file that turns out not to be UTF-8 is uploaded as a blob here instead), the rest their sha
 * or `sha: null`. Resolves to the new tree's sha.
 */
export async function writeTreeBatch(
  octokit: GitHubClient,
  where: RepoRef,
  baseTree: string,
  batch: PlannedEntry[],
  read: BlobReader,
): Promise<string> {
  const contents = await readInline(batch, read);
  const tree: TreeEntry[] = [];
  for (const entry of batch) {
    if (entry.kind === "delete") {
      tree.push({ path: entry.path, mode: "100644", type: "blob", sha: null });
      continue;
    }
    const { path, mode, sha } = entry;
    if (entry.kind === "blob") {
      tree.push({ path, mode, type: "blob", sha });
      continue;
    }
    const bytes = contents.get(sha);
    if (!bytes) throw new Error(`no content read for ${path}`);
    const text = asText(bytes);
    if (text !== null) tree.push({ path, mode, type: "blob", content: text });
    else {
      await createBlob(octokit, where, path, sha, bytes);
      tree.push({ path, mode, type: "blob", sha });
    }
  }
  const { data } = await octokit.rest.git.createTree({ ...where, base_tree: baseTree, tree });
  return data.sha;
}

/** The contents of a batch's inline entries, read in as few bounded calls as fit. */
async function readInline(batch: PlannedEntry[], read: BlobReader): Promise<Map<string, Uint8Array>> {
  const contents = new Map<string, Uint8Array>();
  let shas: string[] = [];
  let bytes = 0;
  const flush = async () => {
    if (shas.length === 0) return;
    for (const [sha, content] of await read.readMany(shas)) contents.set(sha, content);
    shas = [];
    bytes = 0;
  };
  for (const entry of batch) {
    if (entry.kind !== "inline" || contents.has(entry.sha) || shas.includes(entry.sha)) continue;
    if (entry.size > PIECE_BYTES) {
      contents.set(entry.sha, await read.read(entry.sha, entry.size));
      continue;
    }
    if (bytes + entry.size > PIECE_BYTES) await flush();
    shas.push(entry.sha);
    bytes += entry.size;
  }
  await flush();
  return contents;
}

type Listing = Map<string, { type: string; sha: string; mode: string }>;

/**
 * Checks `treeSha` against the change set: every changed file at the sandbox's blob id and mode,
 * every deleted path gone. Reads only the directories on the changed paths, one level at a time,
 * so a huge repository costs no more than a small one.
 */
export async function verifyTree(
  octokit: GitHubClient,
  where: RepoRef,
  treeSha: string,
  changes: Change[],
): Promise<void> {
  const listings = new Map<string, Promise<Listing>>();
  const read = async (sha: string): Promise<Listing> => {
    const { data } = await octokit.rest.git.getTree({ ...where, tree_sha: sha });
    return new Map(
      data.tree.map((e) => [e.path ?? "", { type: e.type ?? "", sha: e.sha ?? "", mode: e.mode ?? "" }]),
    );
  };
  const listing = (dir: string): Promise<Listing> => {
    let found = listings.get(dir);
    if (!found) {
      const cut = dir.lastIndexOf("/");
      found =
        dir === ""
          ? read(treeSha)
          : listing(cut < 0 ? "" : dir.slice(0, cut)).then((parent) => {
              const entry = parent.get(dir.slice(cut + 1));
              return entry?.type === "tree" ? read(entry.sha) : new Map();
            });
      listings.set(dir, found);
    }
    return found;
  };
  for (const change of changes) {
    const cut = change.path.lastIndexOf("/");
    const parent = await listing(cut < 0 ? "" : change.path.slice(0, cut));
    const entry = parent.get(change.path.slice(cut + 1));
    const wrong =
      change.status === "deleted"
        ? entry?.type === "blob" && `${change.path} is still on the branch`
        : (entry?.sha !== change.sha || entry.mode !== change.mode) &&
          `GitHub holds ${change.path} as ${entry ? `${entry.mode} ${entry.sha}` : "nothing"}, but the sandbox had ${change.mode} ${change.sha}`;
    if (wrong) throw new JobError("publish_mismatch", `${wrong}; no branch was written.`);
  }
}
