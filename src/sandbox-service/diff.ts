/**
 * The job's change as a unified diff (`SandboxDiff`), with git as the diff engine: the staged work
 * tree (`git add -A`, as the change set stages it, so the tree the PR is built from) against the
 * base, `git diff --cached -M`, renames, modes and binary files noted by git itself. The bound is
 * applied inside the sandbox, while git's output streams through awk, so a huge change never
 * crosses into the service whole and one large file cannot crowd out the files after it.
 */
import type { SandboxDiff } from "../protocol/sandbox";
import {
  DIFF_OMITTED_MARKER,
  DIFF_TRUNCATED_MARKER,
  MAX_DIFF_BYTES,
  MAX_DIFF_FILE_BYTES,
} from "../protocol/sandbox-schemas";
import { GIT, type GitRunner } from "./jailed-git";

/** Room kept for a marker line (its counts are at most nine digits each). */
const MARKER_ROOM = 256;

// POSIX awk (mawk in Debian images), bytes counted in the C locale. Per file: its header lines are
// held until they fit; each hunk is held until complete, so a cut hunk is printed with `@@` counts
// of the lines kept; the cut file's marker (with how many changed lines were left out) follows at
// the file's end. Past the whole bound, the files left are counted in one last line. Room for every
// marker is reserved, so the output never passes `tcap`. Git's exit status comes last, as `!exit N`
// (a line no diff has: content lines start with ' ', '+', '-' or '\').
const AWK = `
function fits(n) {
  if (total + n + ${MARKER_ROOM} > room) { why = "total"; return 0 }
  if (fbytes + n > fcap) { why = "file"; return 0 }
  fbytes += n; total += n; return 1
}
function commitheader() {
  if (total + hbytes + ${MARKER_ROOM} > room) { over = 1; omitted++; mode = "skip"; return 0 }
  printf "%s", hdr; total += hbytes; return 1
}
function range(part, kept,    q, start, count) {
  split(substr(part, 2), q, ",")
  start = q[1] + 0; count = (q[2] == "") ? 1 : q[2] + 0
  if (kept == 0 && count > 0) start--
  return substr(part, 1, 1) start "," kept
}
function flushhunk(cut,    i, head, rest, parts) {
  if (hh == "") return
  if (cut && hn == 0) { hh = ""; return }
  if (cut && match(hh, /^@@ -[0-9]+(,[0-9]+)? [+][0-9]+(,[0-9]+)? @@/)) {
    head = substr(hh, 1, RLENGTH); rest = substr(hh, RLENGTH + 1)
    split(substr(head, 4, length(head) - 6), parts, " ")
    print "@@ " range(parts[1], ko) " " range(parts[2], kn) " @@" rest
  } else print hh
  for (i = 1; i <= hn; i++) print hl[i]
  hh = ""; hn = 0
}
function cutnow() {
  flushhunk(1); mode = "cut"; reason = why; moreadd = 0; moredel = 0
  if (why == "total") over = 1
}
function endfile(    line) {
  if (mode == "head") commitheader()
  else if (mode == "hunk") flushhunk(0)
  else if (mode == "cut") {
    if (reason == "file") line = "this file's diff is over " fcap " bytes; "
    else line = "the whole diff reached " tcap " bytes; "
    line = tmark line moreadd " more added and " moredel " more removed lines of this file are not shown"
    print line; total += length(line) + 1
  }
  mode = "none"
}
BEGIN { room = tcap - ${MARKER_ROOM}; mode = "none"; tmark = ENVIRON["TMARK"]; omark = ENVIRON["OMARK"] }
/^!exit [0-9]+$/ { gitexit = substr($0, 7) + 0; next }
/^diff --git / {
  endfile()
  if (over) { omitted++; mode = "skip"; next }
  mode = "head"; hdr = $0 "\\n"; hbytes = length($0) + 1; fbytes = 0; hh = ""; hn = 0
  next
}
mode == "skip" || mode == "none" { next }
mode == "cut" {
  if (substr($0, 1, 1) == "+") moreadd++; else if (substr($0, 1, 1) == "-") moredel++
  next
}
mode == "head" && !/^@@ / { hdr = hdr $0 "\\n"; hbytes += length($0) + 1; next }
/^@@ / {
  if (mode == "head") { if (!commitheader()) next; mode = "hunk" } else flushhunk(0)
  if (!fits(length($0) + 1)) { cutnow(); next }
  hh = $0; hn = 0; ko = 0; kn = 0
  next
}
{
  c = substr($0, 1, 1)
  if (!fits(length($0) + 1)) {
    cutnow()
    if (c == "+") moreadd++; else if (c == "-") moredel++
    next
  }
  hl[++hn] = $0
  if (c == " " || c == "-") ko++
  if (c == " " || c == "+") kn++
}
END {
  endfile()
  if (omitted > 0) print omark omitted " more files are not shown; the whole diff reached " tcap " bytes"
  exit gitexit
}`;

// $0 is the base, then the two bounds, the markers (through the environment: \`-v\` would read
// their backslash as an escape), the awk program and the git argv.
const SCRIPT = `base=$0 fcap=$1 tcap=$2 TMARK=$3 OMARK=$4 prog=$5; shift 5
export TMARK OMARK
"$@" add -A || exit 1
{ "$@" diff --cached -M -U3 --no-ext-diff --no-textconv --no-color --src-prefix=a/ --dst-prefix=b/ "$base" --
  echo "!exit $?"; } | LC_ALL=C awk -v fcap="$fcap" -v tcap="$tcap" "$prog"`;

/** Bounds of one diff, the protocol's unless a test asks for smaller ones. */
export interface DiffBounds {
  fileBytes: number;
  totalBytes: number;
}

const PROTOCOL_BOUNDS: DiffBounds = { fileBytes: MAX_DIFF_FILE_BYTES, totalBytes: MAX_DIFF_BYTES };

/** The staged work tree's diff against `baseSha` with any sandbox's git (the local jail, a Modal sandbox). */
export async function collectDiffWith(
  git: GitRunner,
  baseSha: string,
  bounds: DiffBounds = PROTOCOL_BOUNDS,
): Promise<SandboxDiff> {
  const argv = [
    ...["/bin/sh", "-c", SCRIPT, baseSha, String(bounds.fileBytes), String(bounds.totalBytes)],
    ...[DIFF_TRUNCATED_MARKER, DIFF_OMITTED_MARKER, AWK, ...GIT],
  ];
  const diff = new TextDecoder().decode(await git(argv));
  const truncated = diff
    .split("\n")
    .some((l) => l.startsWith(DIFF_TRUNCATED_MARKER) || l.startsWith(DIFF_OMITTED_MARKER));
  return { baseSha, diff, truncated };
}
