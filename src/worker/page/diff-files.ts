/**
 * The stored diff (git's unified diff, bounded by the sandbox service) as files to render: split
 * at git's `diff --git` headers, each file parsed with the `diff` package's `parsePatch` (paths
 * unquoted, renames, modes, binary), the service's marker lines taken out and kept as notes.
 */
import { parsePatch, type StructuredPatch } from "diff";
import { DIFF_OMITTED_MARKER, DIFF_TRUNCATED_MARKER } from "../../protocol/sandbox-schemas";

export type LineKind = "add" | "del" | "context" | "note";

export interface DiffLine {
  kind: LineKind;
  /** The line without its leading `+`, `-` or space (a note keeps its whole text). */
  text: string;
  /** Line numbers in the old and new file, where the line has one. */
  oldLine?: number;
  newLine?: number;
}

export interface DiffHunk {
  header: string;
  lines: DiffLine[];
}

export interface DiffFile {
  path: string;
  /** "added", "deleted", "renamed from …", "binary", "mode 100644 → 100755". */
  notes: string[];
  hunks: DiffHunk[];
  added: number;
  removed: number;
  /** The service's marker, without its prefix, when this file's hunks were cut. */
  truncated?: string;
}

export interface ParsedDiff {
  files: DiffFile[];
  /** The service's last line, without its prefix, when files were left out altogether. */
  omitted?: string;
}

/** Splits and parses `text`; a section `parsePatch` refuses is shown line by line as it is. */
export function parseDiff(text: string): ParsedDiff {
  const parsed: ParsedDiff = { files: [] };
  const sections: string[][] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith(DIFF_OMITTED_MARKER)) parsed.omitted = line.slice(DIFF_OMITTED_MARKER.length);
    else if (line.startsWith("diff --git ") || sections.length === 0) sections.push([line]);
    else sections[sections.length - 1]?.push(line);
  }
  for (const lines of sections) {
    const marker = lines.find((l) => l.startsWith(DIFF_TRUNCATED_MARKER));
    const kept = lines.filter((l) => !l.startsWith(DIFF_TRUNCATED_MARKER));
    if (kept.every((l) => l === "")) continue;
    const file = parseFile(kept);
    if (marker !== undefined) file.truncated = marker.slice(DIFF_TRUNCATED_MARKER.length);
    parsed.files.push(file);
  }
  return parsed;
}

function parseFile(lines: string[]): DiffFile {
  let patch: StructuredPatch | undefined;
  try {
    patch = parsePatch(lines.join("\n"))[0];
  } catch {
    // Not a diff parsePatch accepts (it checks every hunk's counts): shown raw below.
    patch = undefined;
  }
  if (!patch) return rawFile(lines);
  const hunks = patch.hunks.map((h): DiffHunk => {
    let oldLine = h.oldStart;
    let newLine = h.newStart;
    const out = h.lines.map((line): DiffLine => {
      const sign = line[0];
      if (sign === "+") return { kind: "add", text: line.slice(1), newLine: newLine++ };
      if (sign === "-") return { kind: "del", text: line.slice(1), oldLine: oldLine++ };
      if (sign === "\\") return { kind: "note", text: line };
      return { kind: "context", text: line.slice(1), oldLine: oldLine++, newLine: newLine++ };
    });
    const range = (start: number, count: number) => `${count === 0 ? start - 1 : start},${count}`;
    return {
      header: `@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`,
      lines: out,
    };
  });
  const count = (kind: LineKind) =>
    hunks.reduce((n, h) => n + h.lines.filter((l) => l.kind === kind).length, 0);
  return { path: pathOf(patch), notes: notesOf(patch), hunks, added: count("add"), removed: count("del") };
}

function notesOf(patch: StructuredPatch): string[] {
  const notes: string[] = [];
  if (patch.isCreate) notes.push("added");
  if (patch.isDelete) notes.push("deleted");
  if (patch.isRename) notes.push(`renamed from ${bare(patch.oldFileName, "a/")}`);
  if (patch.isCopy) notes.push(`copied from ${bare(patch.oldFileName, "a/")}`);
  if (patch.isBinary) notes.push("binary");
  const { oldMode, newMode } = patch;
  if (!patch.isCreate && !patch.isDelete && oldMode && newMode && oldMode !== newMode) {
    notes.push(`mode ${oldMode} → ${newMode}`);
  }
  if (patch.isCreate && newMode && newMode !== "100644") notes.push(`mode ${newMode}`);
  return notes;
}

/** The file's path now (its old one when deleted), without git's `a/` and `b/`. */
function pathOf(patch: StructuredPatch): string {
  const next = patch.newFileName;
  if (next && next !== "/dev/null" && !patch.isDelete) return bare(next, "b/");
  return bare(patch.oldFileName, "a/");
}

function bare(name: string | undefined, prefix: string): string {
  if (name === undefined) return "(unnamed)";
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

/** A section shown as git wrote it, each line kept by its first character. */
function rawFile(lines: string[]): DiffFile {
  const header = lines[0] ?? "";
  const path = /^diff --git a\/(.*) b\//.exec(header)?.[1] ?? header;
  const out = lines.slice(1).map((line): DiffLine => {
    const sign = line[0];
    if (sign === "+" && !line.startsWith("+++ ")) return { kind: "add", text: line.slice(1) };
    if (sign === "-" && !line.startsWith("--- ")) return { kind: "del", text: line.slice(1) };
    return { kind: "note", text: line };
  });
  const added = out.filter((l) => l.kind === "add").length;
  const removed = out.filter((l) => l.kind === "del").length;
  return { path, notes: ["shown as git wrote it"], hunks: [{ header, lines: out }], added, removed };
}
