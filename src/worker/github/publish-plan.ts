/**
 * How a change set is cut into durable publishing steps, each with a bounded request and a small
 * result. Text files travel inline as `content` of `git/trees` entries, in batches bounded by bytes
 * and entries, each batch a tree on the previous one (`base_tree`); binary files and text too large
 * to go inline are uploaded as `git/blobs` first, in groups bounded the same way. The plan depends
 * only on the change set's metadata, so a replayed run cuts it the same way.
 */
import type { Change, FileMode } from "../../protocol/sandbox";

/** Content bytes one `git/trees` request carries inline. */
export const TREE_BATCH_BYTES = 1024 * 1024;
/** Entries one `git/trees` request carries. */
export const TREE_BATCH_ENTRIES = 100;
/** Largest text file sent inline; larger ones are uploaded as blobs. */
export const INLINE_MAX_BYTES = 512 * 1024;
/** File bytes one blob-upload step moves (a file larger than this is a group of its own). */
export const BLOB_GROUP_BYTES = 16 * 1024 * 1024;
/** Files one blob-upload step uploads. */
export const BLOB_GROUP_FILES = 20;

export type Present = Extract<Change, { status: "added" | "modified" }>;

/** One `tree[]` entry: inline text (`inline`), a blob already uploaded (`sha`), or a deletion. */
export type PlannedEntry =
  | { kind: "inline"; path: string; mode: FileMode; sha: string; size: number }
  | { kind: "blob"; path: string; mode: FileMode; sha: string }
  | { kind: "delete"; path: string };

export interface PublishPlan {
  /** Files uploaded with `git/blobs` before any tree, one step per group. */
  blobGroups: Present[][];
  /** One tree per batch, in order: deletions first, then paths in order. */
  treeBatches: PlannedEntry[][];
}

/** Whether a file goes as a blob rather than inline (a symlink's target is always small text). */
export function needsBlob(change: Present): boolean {
  return change.mode !== "120000" && (change.binary || change.size > INLINE_MAX_BYTES);
}

export function planPublish(changes: Change[]): PublishPlan {
  const present = changes.filter((c): c is Present => c.status !== "deleted");
  const blobs = present.filter(needsBlob);
  const blobGroups = group(blobs, BLOB_GROUP_FILES, BLOB_GROUP_BYTES, (c) => c.size);
  // Deletions first, so a file replaced by a directory (or the reverse) never collides.
  const entries: PlannedEntry[] = [
    ...changes.filter((c) => c.status === "deleted").map((c) => ({ kind: "delete" as const, path: c.path })),
    ...present.map((c): PlannedEntry => {
      const { path, mode, sha } = c;
      return needsBlob(c)
        ? { kind: "blob", path, mode, sha }
        : { kind: "inline", path, mode, sha, size: c.size };
    }),
  ];
  const treeBatches = group(entries, TREE_BATCH_ENTRIES, TREE_BATCH_BYTES, (e) =>
    e.kind === "inline" ? e.size : 0,
  );
  return { blobGroups, treeBatches };
}

/** Cuts `items` in order into runs of at most `maxItems` and `maxBytes` (an item over it runs alone). */
function group<T>(items: T[], maxItems: number, maxBytes: number, bytesOf: (item: T) => number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = bytesOf(item);
    if (current.length > 0 && (current.length >= maxItems || bytes + size > maxBytes)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
