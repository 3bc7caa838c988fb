/**
 * `edit`: exact-match replacement. `old` must occur exactly once; when it occurs nowhere or
 * several times the answer says which, with line numbers, and points at near matches (indentation,
 * trailing spaces). CRLF files take LF-written `old`/`new`. The new content goes back as a write.
 */
import { z } from "zod";
import { linesOf, numbered, readText } from "./files";
import { type Observation, tool } from "./types";

const encoder = new TextEncoder();
/** The new content travels base64 in a durable step's result (Workflows cap those at 1 MiB). */
const MAX_EDIT_BYTES = 512 * 1024;

export const edit = tool({
  name: "edit",
  description:
    "Replace one exact occurrence of `old` with `new` in a file. `old` must match the file exactly " +
    "(whitespace included) and occur once: quote enough surrounding lines to make it unique. With " +
    "`old` empty, creates a new file holding `new`. Use `view` first to copy the exact text.",
  schema: z
    .object({
      path: z.string().min(1).describe("File path relative to the repository root."),
      old: z.string().describe("The exact text to replace; empty to create a new file."),
      new: z.string().describe("The replacement text."),
    })
    .strict(),
  async execute(input, ctx): Promise<Observation> {
    const file = await readText(ctx.sandbox, input.path);
    if (input.old === "") {
      if (ctx.resumed && file.ok && file.text === input.new) {
        return { output: `Created ${input.path} (${linesOf(input.new).length} lines).` };
      }
      if (file.ok || !file.missing) {
        return fail(`${input.path} already exists; \`old\` must be the text to replace (it was empty).`);
      }
      const refused = tooLarge(input.path, encoder.encode(input.new).length, ctx.maxFileBytes);
      if (refused) return fail(refused);
      return written(input.path, input.new, `Created ${input.path} (${linesOf(input.new).length} lines).`);
    }
    if (!file.ok) return fail(file.message);
    const bytes = encoder.encode(file.text).length + encoder.encode(input.new).length;
    if (bytes > MAX_EDIT_BYTES) {
      return fail(
        `${input.path} is too large for \`edit\` (over ${MAX_EDIT_BYTES / 1024} KiB); change it with \`bash\` (sed, patch).`,
      );
    }
    if (input.old === input.new) return fail("`old` and `new` are the same; nothing would change.");
    const text = file.text;
    let { old, new: replacement } = input;
    if (!text.includes(old) && text.includes("\r\n") && !old.includes("\r")) {
      // The file has CRLF line endings and the model wrote LF: match and write in the file's style.
      old = old.replace(/\n/g, "\r\n");
      replacement = replacement.replace(/\r?\n/g, "\r\n");
    }
    const at = occurrences(text, old);
    if (at.length === 0 && ctx.resumed && occurrences(text, replacement).length === 1) {
      // The attempt that ran this call wrote the edit before it died: report it, do not redo it.
      return { output: `Edited ${input.path} (applied before the job resumed).` };
    }
    if (at.length === 0) return fail(noMatch(input.path, text, input.old));
    if (at.length > 1) {
      const lines = at.map((i) => lineAt(text, i));
      return fail(
        `\`old\` occurs ${at.length} times in ${input.path} (at lines ${lines.join(", ")}). ` +
          "Include more surrounding lines in `old` so it matches exactly once.",
      );
    }
    const index = at[0] ?? 0;
    const updated = text.slice(0, index) + replacement + text.slice(index + old.length);
    const first = lineAt(text, index);
    const count = linesOf(replacement).length;
    const shown = linesOf(updated);
    const from = Math.max(1, first - 2);
    const to = Math.min(shown.length, first + count + 1);
    const summary = `Edited ${input.path}: replaced ${linesOf(old).length} line(s) at line ${first} with ${count} line(s).`;
    return written(input.path, updated, `${summary}\n${numbered(shown, from, to)}`);
  },
});

/** Why `bytes` of new content cannot be written with `edit`, or null when they can. */
function tooLarge(path: string, bytes: number, maxFileBytes = Number.POSITIVE_INFINITY): string | null {
  if (bytes > maxFileBytes) {
    return (
      `${path} would be ${bytes} bytes, over the ${maxFileBytes} bytes the publishing policy allows ` +
      "per file (PUBLISH_MAX_FILE_BYTES), so it would be left out of the pull request; nothing was written."
    );
  }
  if (bytes > MAX_EDIT_BYTES) {
    return `${path} would be ${bytes} bytes, too large for \`edit\` (over ${MAX_EDIT_BYTES / 1024} KiB); write it with \`bash\`.`;
  }
  return null;
}

function fail(message: string): Observation {
  return { output: `Error: ${message}` };
}

function written(path: string, content: string, output: string): Observation {
  return { output, write: { path, contentBase64: Buffer.from(encoder.encode(content)).toString("base64") } };
}

/** Start offsets of every (non-overlapping) occurrence of `needle`. */
function occurrences(text: string, needle: string): number[] {
  const found: number[] = [];
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) found.push(i);
  return found;
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The no-match message, naming a line where `old` matches once whitespace is ignored. */
function noMatch(path: string, text: string, old: string): string {
  const squash = (s: string) => s.replace(/\s+/g, " ").trim();
  const want = linesOf(old).map(squash);
  const lines = linesOf(text);
  const near: number[] = [];
  for (let i = 0; i + want.length <= lines.length && want.length > 0; i++) {
    if (want.every((w, k) => squash(lines[i + k] ?? "") === w)) near.push(i + 1);
  }
  const base = `\`old\` was not found in ${path}.`;
  if (near.length > 0) {
    return (
      `${base} It matches at line ${near.join(", ")} if whitespace is ignored: copy the exact ` +
      "indentation and spacing from `view` output (without the line-number prefix)."
    );
  }
  return `${base} Use \`view\` to see the current text and copy it exactly.`;
}
