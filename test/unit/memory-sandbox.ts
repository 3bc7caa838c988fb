// A Sandbox (our own interface, the agent's seam) over an in-memory file map, for unit tests of
// the tools and the loop: readFile/writeFile as the sandbox service answers them (404, 400), and
// exec answering from a caller-supplied function. Counts writes, to prove an edit lands once.
import { SandboxError } from "../../src/worker/errors";
import type { ExecOptions, Sandbox } from "../../src/worker/sandbox";

export interface MemorySandbox extends Sandbox {
  files: Map<string, Uint8Array>;
  writes: string[];
  text(path: string): string;
}

/** `files` as path → text (or bytes); directories are inferred from paths. */
export function memorySandbox(
  files: Record<string, string | Uint8Array>,
  exec: (argv: string[], options: ExecOptions) => string = () => "",
): MemorySandbox {
  const map = new Map(
    Object.entries(files).map(([p, c]) => [p, typeof c === "string" ? new TextEncoder().encode(c) : c]),
  );
  const writes: string[] = [];
  return {
    files: map,
    writes,
    text: (path) => new TextDecoder().decode(map.get(path)),
    async exec(argv, options) {
      return { exitCode: 0, output: exec(argv, options), truncated: false, timedOut: false, durationMs: 1 };
    },
    async readFile(path) {
      const found = map.get(path);
      if (found) return found;
      if ([...map.keys()].some((k) => k.startsWith(`${path}/`))) {
        throw new SandboxError(
          `sandbox service GET /files: not a file — path: ${path} is a directory`,
          400,
          false,
        );
      }
      throw new SandboxError(`sandbox service GET /files: file not found — path: ${path}`, 404, false);
    },
    async writeFile(path, content) {
      writes.push(path);
      map.set(path, new Uint8Array(content));
    },
  };
}
