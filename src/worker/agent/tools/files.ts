/**
 * Reading a repository file for the viewer and the editor: a missing file, a directory or a
 * binary file becomes a message the model can act on rather than an exception.
 */
import { SandboxError } from "../../errors";
import type { Sandbox } from "../../sandbox";

export type TextFile = { ok: true; text: string } | { ok: false; message: string; missing?: boolean };

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The file as UTF-8 text, or why it cannot be shown or edited as text. */
export async function readText(sandbox: Sandbox, path: string): Promise<TextFile> {
  let bytes: Uint8Array;
  try {
    bytes = await sandbox.readFile(path);
  } catch (error) {
    if (error instanceof SandboxError && error.status === 404) {
      return {
        ok: false,
        missing: true,
        message: `${path} does not exist. Use \`bash\` with \`ls\` or \`find\` to look.`,
      };
    }
    if (error instanceof SandboxError && error.status === 400) {
      return {
        ok: false,
        message: `${error.message}. Give the path of a regular file (use \`ls\` for directories).`,
      };
    }
    throw error;
  }
  if (bytes.includes(0)) return { ok: false, message: `${path} is a binary file (${bytes.length} bytes).` };
  try {
    return { ok: true, text: decoder.decode(bytes) };
  } catch {
    // Not UTF-8: treat it as binary rather than show or rewrite mangled bytes.
    return { ok: false, message: `${path} is not UTF-8 text (${bytes.length} bytes); use \`bash\` for it.` };
  }
}

/** `text` split into lines without their terminators (a trailing newline adds no empty line). */
export function linesOf(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** Lines `from`..`to` (1-based, inclusive) of `lines`, numbered like `cat -n`. */
export function numbered(lines: string[], from: number, to: number): string {
  const width = String(to).length;
  const out: string[] = [];
  for (let n = from; n <= to; n++) out.push(`${String(n).padStart(width)}\t${lines[n - 1] ?? ""}`);
  return out.join("\n");
}
