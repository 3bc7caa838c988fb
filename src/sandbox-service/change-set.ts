/**
 * The change set of a workspace against its cloned commit, as metadata: paths, modes, blob ids,
 * sizes, git's binary verdict, deletions, symlink targets. Contents are not part of it; they are
 * read in pieces afterwards (blob-range.ts), so the list stays small whatever the files hold.
 * Git runs inside the jail (jailed-git.ts), in one shell session: `git add -A`, `write-tree` for
 * the tree a faithful publish must produce, `git diff --cached --raw --numstat` for paths, modes,
 * ids and git's binary verdict, `cat-file --batch-check` for sizes and, for a small change set,
 * `cat-file --batch` for the contents, so it publishes without reading blobs afterwards.
 */
import type { Change, ChangeSet } from "../protocol/sandbox";
import { MAX_INLINE_CHANGE_BYTES } from "../protocol/sandbox-schemas";
import { parseDiffLines } from "./change-lines";
import { ServiceError } from "./errors";
import { GIT, type GitRunner, jailedGit } from "./jailed-git";
import type { JailOptions } from "./sandbox-files";

/** Parses `git cat-file --batch` output (`sha type size\n<bytes>\n` per object) into contents by sha. */
export function parseCatFileBatch(output: Buffer): Map<string, Buffer> {
  const contents = new Map<string, Buffer>();
  let at = 0;
  while (at < output.length) {
    const eol = output.indexOf(0x0a, at);
    if (eol < 0) throw new Error("cat-file: truncated header");
    const [sha, type, size] = output.subarray(at, eol).toString("utf8").split(" ");
    if (!sha || type === "missing" || size === undefined) throw new Error(`cat-file: object ${sha} missing`);
    const start = eol + 1;
    const end = start + Number(size);
    if (end > output.length) throw new Error("cat-file: truncated object");
    contents.set(sha, output.subarray(start, end));
    at = end + 1;
  }
  return contents;
}

/** Parses `git cat-file --batch-check` output (`sha type size\n` per object) into blob sizes by sha. */
export function parseBatchCheck(output: Buffer): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const line of output.toString("utf8").split("\n")) {
    if (line === "") continue;
    const [sha, type, size] = line.split(" ");
    if (!sha || type !== "blob" || size === undefined) throw new Error(`cat-file: ${line}`);
    sizes.set(sha, Number(size));
  }
  return sizes;
}

/** Stages the whole work tree inside the jail and returns what differs from `baseSha`. */
export function collectChanges(workspace: string, baseSha: string, options: JailOptions): Promise<ChangeSet> {
  return collectChangesWith(jailedGit(workspace, options), baseSha);
}

// One git session in one jail, five git processes: stage, the staged tree's id, one diff for
// both the raw records (paths, modes, ids) and the numstat (binary) as text (change-lines.ts),
// the sizes of the new blobs and, when together they are small, their contents. The blob ids
// come from the diff's text by the shell's own `read`; every other step is a builtin too
// (here-documents, not pipes from printf). $0 is the base, $1 the content bound, then the git
// argv. Each section ends with a NUL.
const SCRIPT = `base=$0 limit=$1; shift
"$@" add -A || exit 1
"$@" write-tree || exit 1
diff=$("$@" -c core.quotePath=true diff --cached --raw --numstat --no-renames --no-abbrev --no-ext-diff --no-textconv "$base" --) || exit 1
printf '%s\\n\\0' "$diff"
list=$(while read -r om nm os ns rest; do
  case "$om" in :*) case "$nm" in 100644|100755|120000) echo "$ns" ;; esac ;; esac
done <<EOF
$diff
EOF
)
[ -n "$list" ] || exit 0
info=$("$@" cat-file --batch-check <<EOF
$list
EOF
) || exit 1
printf '%s\\n\\0' "$info"
total=0
while read -r sha type size; do total=$((total + \${size:-0})); done <<EOF
$info
EOF
[ "$total" -le "$limit" ] || exit 0
exec "$@" cat-file --batch <<EOF
$list
EOF`;

/** The text at `at` up to the next NUL (or the end), and where the next section begins. */
function section(output: Buffer, at: number): [Buffer, number] {
  if (at >= output.length) return [Buffer.alloc(0), at];
  const end = output.indexOf(0, at);
  const stop = end < 0 ? output.length : end;
  return [output.subarray(at, stop), stop + 1];
}

/** The change set computed with any sandbox's git (the local jail, a Modal sandbox). */
export async function collectChangesWith(git: GitRunner, baseSha: string): Promise<ChangeSet> {
  const output = await git(["/bin/sh", "-c", SCRIPT, baseSha, String(MAX_INLINE_CHANGE_BYTES), ...GIT]);
  const eol = output.indexOf(0x0a);
  const treeSha = output.subarray(0, eol).toString("utf8");
  const [diff, afterDiff] = section(output, eol + 1);
  const [check, afterCheck] = section(output, afterDiff);
  const { changes: entries, binary } = parseDiffLines(diff.toString("utf8"));
  const present = entries.filter((e) => e.status !== "deleted");
  if (present.length === 0)
    return { baseSha, treeSha, changes: entries.map(({ path }) => ({ path, status: "deleted" })) };
  const sizes = parseBatchCheck(check);
  const inline = afterCheck < output.length ? parseCatFileBatch(output.subarray(afterCheck)) : undefined;
  const links = [...new Set(present.filter((e) => e.mode === "120000").map((e) => e.sha))];
  const targets =
    inline ??
    (links.length === 0
      ? new Map<string, Buffer>()
      : parseCatFileBatch(await git([...GIT, "cat-file", "--batch"], lines(links))));
  const changes = entries.map((entry): Change => {
    if (entry.status === "deleted") return { path: entry.path, status: "deleted" };
    const { path, status, mode, sha } = entry;
    const size = sizes.get(sha);
    if (size === undefined) throw new ServiceError(500, "change set incomplete", `no size for ${path}`);
    const change: Change = { path, status, mode, sha, size, binary: binary.has(path) };
    const target = targets.get(sha);
    if (mode === "120000" && target) change.target = target.toString("utf8");
    return change;
  });
  if (!inline) return { baseSha, treeSha, changes };
  const contents: Record<string, string> = {};
  for (const [sha, bytes] of inline) contents[sha] = bytes.toString("base64");
  return { baseSha, treeSha, changes, contents };
}

function lines(shas: string[]): Buffer {
  return Buffer.from(`${shas.join("\n")}\n`);
}
