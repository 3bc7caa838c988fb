/**
 * `git diff --raw --numstat --no-renames --no-abbrev` as text (not `-z`): one line per record,
 * raw records (`:old new oldsha newsha S\tpath`) first, then numstat (`added\tdeleted\tpath`).
 * A path with a control character, a quote, a backslash or a non-ASCII byte is C-quoted by git
 * (`core.quotePath=true`, which the caller sets), so no path spans lines and the shell can take
 * the new blobs' ids from the same text the service parses.
 */
import type { FileMode } from "../protocol/sandbox";

const MODES = new Set<string>(["100644", "100755", "120000"]);

/** One entry of `git diff --raw`, before its content is known. */
export interface RawChange {
  path: string;
  status: "added" | "modified" | "deleted";
  mode: FileMode;
  sha: string;
}

/** The raw records (submodules skipped) and the paths numstat calls binary (`-\t-\tpath`). */
export function parseDiffLines(text: string): { changes: RawChange[]; binary: Set<string> } {
  const changes: RawChange[] = [];
  const binary = new Set<string>();
  for (const line of text.split("\n")) {
    if (line.startsWith(":")) {
      const tab = line.indexOf("\t");
      if (tab < 0) throw new Error(`git diff: no path in ${line.slice(0, 200)}`);
      const [oldMode, newMode, , sha, letter] = line.slice(1, tab).split(" ");
      const path = unquotePath(line.slice(tab + 1));
      const wasFile = oldMode !== undefined && MODES.has(oldMode);
      const isFile = newMode !== undefined && MODES.has(newMode);
      if (letter === "D" || (wasFile && !isFile)) {
        if (wasFile) changes.push({ path, status: "deleted", mode: oldMode as FileMode, sha: "" });
      } else if (isFile && sha) {
        changes.push({ path, status: wasFile ? "modified" : "added", mode: newMode as FileMode, sha });
      }
      continue;
    }
    const match = /^(-|\d+)\t(-|\d+)\t(.*)$/.exec(line);
    if (match?.[1] === "-" && match[3] !== undefined) binary.add(unquotePath(match[3]));
  }
  return { changes, binary };
}

const ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, "\\": 92 };

/** A path as git prints it: as is, or in double quotes with C escapes and octal bytes (UTF-8 decoded). */
export function unquotePath(text: string): string {
  if (!text.startsWith('"')) return text;
  if (text.length < 2 || !text.endsWith('"'))
    throw new Error(`git diff: bad quoted path ${text.slice(0, 200)}`);
  const inner = text.slice(1, -1);
  const bytes: number[] = [];
  let i = 0;
  while (i < inner.length) {
    if (inner[i] !== "\\") {
      const char = String.fromCodePoint(inner.codePointAt(i) ?? 0);
      bytes.push(...Buffer.from(char, "utf8"));
      i += char.length;
      continue;
    }
    const octal = /^[0-7]{3}/.exec(inner.slice(i + 1, i + 4));
    const escaped = octal ? Number.parseInt(octal[0], 8) : ESCAPES[inner.charAt(i + 1)];
    if (escaped === undefined) throw new Error(`git diff: bad escape in ${text.slice(0, 200)}`);
    bytes.push(escaped);
    i += octal ? 4 : 2;
  }
  return Buffer.from(bytes).toString("utf8");
}
