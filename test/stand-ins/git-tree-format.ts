// Tree objects byte for byte as git reads and writes them: entries `<octal mode> <name>\0<20-byte
// id>` in git's order (bytes of the name, a directory compared as `name/`), the modes git writes
// (`40000` for a tree), and the canonical modes `ls-tree` shows for whatever a tree holds.
export interface RawTreeEntry {
  /** The mode exactly as the tree spells it. */
  mode: string;
  name: Buffer;
  sha: string;
}

/** The modes git itself writes into trees; any other spelling is rewritten when the tree is rebuilt. */
export const WRITTEN_MODES = new Set(["100644", "100755", "120000", "160000", "40000"]);

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFGITLINK = 0o160000;

/** Parses a tree object; throws where git's tree walker reports it corrupt. */
export function parseTree(content: Buffer): RawTreeEntry[] {
  const entries: RawTreeEntry[] = [];
  let at = 0;
  while (at < content.length) {
    const space = content.indexOf(0x20, at);
    const mode = content.toString("latin1", at, space);
    if (space <= at || !/^[0-7]+$/.test(mode)) throw new Error("malformed mode in tree entry");
    const nul = content.indexOf(0, space + 1);
    if (nul < 0 || nul + 21 > content.length) throw new Error("too-short tree object");
    if (nul === space + 1) throw new Error("empty filename in tree entry");
    entries.push({
      mode,
      name: content.subarray(space + 1, nul),
      sha: content.toString("hex", nul + 1, nul + 21),
    });
    at = nul + 21;
  }
  return entries;
}

/** Encodes entries as a tree object, putting them in git's order first. */
export function encodeTree(entries: readonly RawTreeEntry[]): Buffer {
  const sorted = [...entries].sort(compareEntries);
  const parts: Buffer[] = [];
  for (const e of sorted) {
    parts.push(Buffer.from(`${e.mode} `, "latin1"), e.name, Buffer.from([0]), Buffer.from(e.sha, "hex"));
  }
  return Buffer.concat(parts);
}

/** Git's `base_name_compare`: bytewise, a tree's name as if it ended in `/`. */
export function compareEntries(a: RawTreeEntry, b: RawTreeEntry): number {
  const len = Math.min(a.name.length, b.name.length);
  const cmp = a.name.subarray(0, len).compare(b.name.subarray(0, len));
  if (cmp !== 0) return cmp;
  const next = (e: RawTreeEntry) => e.name[len] ?? (isTreeMode(e.mode) ? 0x2f : 0);
  return next(a) - next(b);
}

function modeBits(mode: string): number {
  let bits = 0;
  // As git parses it: an unsigned int, wrapping.
  for (const digit of mode) bits = ((bits << 3) + (digit.charCodeAt(0) - 48)) >>> 0;
  return bits;
}

function isTreeMode(mode: string): boolean {
  return (modeBits(mode) & S_IFMT) === S_IFDIR;
}

/** Git's `canon_mode`, as `ls-tree` prints it (`%06o`). */
export function lsTreeMode(mode: string): string {
  const bits = modeBits(mode);
  const kind = bits & S_IFMT;
  const canon =
    kind === S_IFREG
      ? S_IFREG | (bits & 0o100 ? 0o755 : 0o644)
      : kind === S_IFLNK
        ? S_IFLNK
        : kind === S_IFDIR
          ? S_IFDIR
          : S_IFGITLINK;
  return canon.toString(8).padStart(6, "0");
}

/** The object type an entry of `mode` points at. */
export function entryType(mode: string): "blob" | "tree" | "commit" {
  const kind = modeBits(mode) & S_IFMT;
  return kind === S_IFDIR ? "tree" : kind === S_IFREG || kind === S_IFLNK ? "blob" : "commit";
}

/**
 * A path component git's index takes as it is on Linux, judged conservatively: `update-index`
 * refuses `.`, `..`, `.git` in any case, its NTFS spellings (`.git.`, `git~1`, `.git:x`, after a
 * backslash) and a symlink named like `.gitmodules` (`.gitmodules `, `gitmod~1`). A name that might
 * be one of those — any `~` or backslash, `.git` followed by anything but a letter, digit, `-` or
 * `_`, anything starting `.gitmodules` — is "not plain", and the caller leaves it to git.
 */
export function isPlainName(name: Buffer): boolean {
  if (
    name.length === 0 ||
    name.includes(0) ||
    name.includes(0x2f) ||
    name.includes(0x5c) ||
    name.includes(0x7e)
  )
    return false;
  const text = name.toString("latin1");
  if (text === "." || text === "..") return false;
  const lower = text.toLowerCase();
  if (!lower.startsWith(".git")) return true;
  return /^[a-z0-9_-]/.test(lower.slice(4)) && !lower.startsWith(".gitmodules");
}

/** True when `bytes` survive decoding as UTF-8 and encoding again (git-fed text round-trips so). */
export function isUtf8(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString("utf8"), "utf8").equals(bytes);
}
