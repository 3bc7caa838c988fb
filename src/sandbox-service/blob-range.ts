/**
 * One piece of a blob of the sandbox's repository, so callers move contents of any size in bounded
 * requests. Runs inside the sandbox like every helper (jailed-git.ts): `cat-file --batch-check`
 * says whether the blob exists and how large it is, then `cat-file blob | tail | head` streams
 * only the asked-for bytes out of the sandbox. Many small blobs can be read whole in one call
 * (`readBlobsWith`), as long as together they fit the same bound.
 */
import type { BlobRange } from "../protocol/sandbox";
import { parseBatchCheck, parseCatFileBatch } from "./change-set";
import { badRequest, ServiceError } from "./errors";
import { GIT, type GitRunner } from "./jailed-git";
import { MAX_BLOB_RANGE_BYTES } from "./limits";

// $0 is the blob id, $1 the 1-based first byte, $2 the byte count, then the git argv.
const SCRIPT = [
  "sha=$0 from=$1 count=$2; shift 2",
  'info=$(printf "%s\\n" "$sha" | "$@" cat-file --batch-check) || exit 1',
  'printf "%s\\n" "$info"',
  'case "$info" in *" blob "*) ;; *) exit 0 ;; esac',
  'if [ "$count" -gt 0 ]; then "$@" cat-file blob "$sha" | tail -c "+$from" | head -c "$count"; fi',
].join("\n");

/** Bytes `[offset, offset + length)` of blob `sha`; 404 when there is no such blob, 400 past its end. */
export async function readBlobRangeWith(
  git: GitRunner,
  sha: string,
  offset: number,
  length: number,
): Promise<BlobRange> {
  const output = await git(["/bin/sh", "-c", SCRIPT, sha, String(offset + 1), String(length), ...GIT]);
  const eol = output.indexOf(0x0a);
  const [, type, sizeText] = output
    .subarray(0, eol < 0 ? output.length : eol)
    .toString("utf8")
    .split(" ");
  if (eol < 0 || type !== "blob" || sizeText === undefined) {
    throw new ServiceError(404, "blob not found", `the sandbox's repository has no blob ${sha}`);
  }
  const size = Number(sizeText);
  if (offset > size) throw badRequest(`offset: past the blob's end (${size} bytes)`);
  const content = output.subarray(eol + 1);
  const expected = Math.min(length, size - offset);
  if (content.length !== expected) {
    throw new ServiceError(500, "blob read incomplete", `${content.length} of ${expected} bytes of ${sha}`);
  }
  return { sha, size, offset, contentBase64: content.toString("base64") };
}

/** Blobs `shas` whole, in order; 404 when one is missing, 413 when together they pass 1 MiB. */
export async function readBlobsWith(git: GitRunner, shas: string[]): Promise<BlobRange[]> {
  const wanted = Buffer.from(`${shas.join("\n")}\n`);
  const check = (await git([...GIT, "cat-file", "--batch-check"], wanted)).toString("utf8");
  const missing = check.split("\n").find((line) => line !== "" && !/^\S+ blob \d+$/.test(line));
  if (missing)
    throw new ServiceError(
      404,
      "blob not found",
      `the sandbox's repository has no blob ${missing.split(" ")[0]}`,
    );
  const sizes = parseBatchCheck(Buffer.from(check));
  const total = shas.reduce((sum, sha) => sum + (sizes.get(sha) ?? 0), 0);
  if (total > MAX_BLOB_RANGE_BYTES) {
    throw new ServiceError(
      413,
      "blobs too large",
      `${total} bytes together, over ${MAX_BLOB_RANGE_BYTES}; read them in ranges`,
    );
  }
  const contents = parseCatFileBatch(await git([...GIT, "cat-file", "--batch"], wanted));
  return shas.map((sha) => {
    const content = contents.get(sha);
    if (!content) throw new ServiceError(500, "blob read incomplete", `no content for ${sha}`);
    return { sha, size: content.length, offset: 0, contentBase64: content.toString("base64") };
  });
}
