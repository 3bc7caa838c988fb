// Git objects written in-process as loose objects, the way `git hash-object -w` stores them: the id
// is the SHA-1 of `<type> <length>\0<content>`, the file that header and content deflated (zlib),
// written under a temporary name and renamed into objects/xx/… so no reader sees half an object.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { deflate, deflateSync } from "node:zlib";

export type LooseType = "blob" | "tree" | "commit";

const deflateAsync = promisify(deflate);

/** Past this, deflating and writing run off the event loop. */
const SYNC_BYTES = 256 * 1024;

function header(type: LooseType, content: Buffer): Buffer {
  return Buffer.from(`${type} ${content.length}\0`, "latin1");
}

/** The object id git gives `content` stored as `type`. */
export function objectId(type: LooseType, content: Buffer): string {
  return createHash("sha1").update(header(type, content)).update(content).digest("hex");
}

/**
 * Stores `content` as a loose object unless `has(id)` says the repository already holds it (loose
 * or packed); resolves to its id.
 */
export async function writeLooseObject(
  gitDir: string,
  type: LooseType,
  content: Buffer,
  has: (sha: string) => Promise<boolean>,
): Promise<string> {
  const sha = objectId(type, content);
  const dir = join(gitDir, "objects", sha.slice(0, 2));
  const path = join(dir, sha.slice(2));
  if (existsSync(path) || (await has(sha))) return sha;
  const raw = Buffer.concat([header(type, content), content]);
  const temp = join(dir, `tmp_obj_${randomBytes(6).toString("hex")}`);
  // Level 1 is git's own default for loose objects (core.looseCompression). Read-only, as git
  // leaves its objects.
  const options = { mode: 0o444, flag: "wx" } as const;
  try {
    if (raw.length <= SYNC_BYTES) {
      // Small objects (nearly all) are written at once: no turn through the busy fs thread pool.
      const packed = deflateSync(raw, { level: 1 });
      mkdirSync(dir, { recursive: true });
      writeFileSync(temp, packed, options);
      renameSync(temp, path);
    } else {
      const packed = await deflateAsync(raw, { level: 1 });
      await mkdir(dir, { recursive: true });
      await writeFile(temp, packed, options);
      await rename(temp, path);
    }
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return sha;
}
