/**
 * What the repository says about itself, read from the sandbox right after the clone: its agent
 * and contributor instructions, a README excerpt, and its test and lint commands as declared by
 * package.json scripts, a Makefile, pyproject.toml, Cargo.toml or go.mod.
 */
import type { ContextFile } from "../../protocol/sandbox";
import { SandboxError } from "../errors";
import type { Sandbox } from "../sandbox";

export interface RepoContext {
  /** Instruction files found, each cut to a few thousand characters. */
  instructions: { file: string; text: string }[];
  testCommands: string[];
  lintCommands: string[];
}

const INSTRUCTION_FILES: [string, number][] = [
  ["AGENTS.md", 6_000],
  ["CLAUDE.md", 4_000],
  ["CONTRIBUTING.md", 4_000],
  [".github/CONTRIBUTING.md", 4_000],
  ["README.md", 2_500],
];
const MANIFESTS = ["package.json", "Makefile", "pyproject.toml", "Cargo.toml", "go.mod"] as const;

/** Every file the context is made of, for the clone to read from the cloned commit (`contextPaths`). */
export const CONTEXT_PATHS: readonly string[] = [...INSTRUCTION_FILES.map(([f]) => f), ...MANIFESTS];

/** Reads the context files from the sandbox one by one (absent ones skipped): for a clone that did not. */
export async function gatherRepoContext(sandbox: Sandbox): Promise<RepoContext> {
  const texts = await Promise.all(CONTEXT_PATHS.map((f) => readOptional(sandbox, f)));
  return repoContextOf(new Map(CONTEXT_PATHS.map((n, i) => [n, texts[i] ?? null])));
}

/**
 * The context of the files a clone read (`CloneResult.files`; absent ones are null). A manifest
 * the clone cut short counts as absent: its commands cannot be read from half of it.
 */
export function repoContextFromClone(files: ContextFile[]): RepoContext {
  const found = new Map(files.map((f) => [f.path, f]));
  return repoContextOf(
    new Map(
      CONTEXT_PATHS.map((name) => {
        const f = found.get(name);
        const manifest = (MANIFESTS as readonly string[]).includes(name);
        return [name, !f || (manifest && f.truncated) ? null : f.text];
      }),
    ),
  );
}

function repoContextOf(file: Map<string, string | null>): RepoContext {
  const instructions = INSTRUCTION_FILES.flatMap(([name, max]) => {
    const text = file.get(name);
    return text?.trim() ? [{ file: name, text: excerpt(text, max) }] : [];
  });
  const commands = detectCommands(file);
  return { instructions, ...commands };
}

/** Test and lint commands from the manifests present (`files`: name → text or null). */
export function detectCommands(files: Map<string, string | null>): Omit<RepoContext, "instructions"> {
  const test: string[] = [];
  const lint: string[] = [];
  const pkg = files.get("package.json");
  if (pkg) {
    try {
      const scripts = (JSON.parse(pkg) as { scripts?: Record<string, unknown> }).scripts ?? {};
      if (typeof scripts.test === "string" && !/no test specified/.test(scripts.test)) test.push("npm test");
      for (const name of ["lint", "typecheck", "check"]) {
        if (typeof scripts[name] === "string") lint.push(`npm run ${name}`);
      }
    } catch {
      // A package.json that does not parse declares no scripts we can trust.
    }
  }
  const make = files.get("Makefile");
  if (make) {
    if (/^test:/m.test(make)) test.push("make test");
    if (/^lint:/m.test(make)) lint.push("make lint");
    if (/^check:/m.test(make)) lint.push("make check");
  }
  const py = files.get("pyproject.toml");
  if (py) {
    if (/pytest/.test(py)) test.push("pytest");
    if (/\[tool\.ruff/.test(py)) lint.push("ruff check .");
    if (/\[tool\.mypy/.test(py)) lint.push("mypy .");
  }
  if (files.get("Cargo.toml")) {
    test.push("cargo test");
    lint.push("cargo clippy");
  }
  if (files.get("go.mod")) {
    test.push("go test ./...");
    lint.push("go vet ./...");
  }
  return { testCommands: test, lintCommands: lint };
}

async function readOptional(sandbox: Sandbox, path: string): Promise<string | null> {
  try {
    return new TextDecoder().decode(await sandbox.readFile(path));
  } catch (error) {
    // Absent (404) or not a regular file (400): the repository simply has no such file.
    if (error instanceof SandboxError && (error.status === 404 || error.status === 400)) return null;
    throw error;
  }
}

function excerpt(text: string, max: number): string {
  return text.length <= max ? text.trim() : `${text.slice(0, max).trim()}\n[… cut at ${max} characters …]`;
}
