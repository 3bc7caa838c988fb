/**
 * A repository's devcontainer.json (JSONC: comments and trailing commas allowed, as the Dev
 * Container spec says), read into what a job honours: `image`, the lifecycle commands, the
 * environment (`containerEnv`, then `remoteEnv` over it) and `workspaceFolder` as a path in the
 * clone. A file that does not parse, or whose fields have the wrong shape, ends the job
 * `setup_failed` with the problem and where it is; what the file asks that a job cannot do
 * (building a Dockerfile, features, the host-side `initializeCommand`) becomes a note instead.
 */
import { type ParseError, parse, printParseErrorCode } from "jsonc-parser";
import { SetupError } from "../errors";
import { LIFECYCLE_HOOKS, type LifecycleHook, lifecycleCommands, type SetupCommand } from "./commands";

export interface DevContainer {
  image?: string;
  commands: Record<LifecycleHook, SetupCommand[]>;
  /** `containerEnv` with `remoteEnv` over it; PATH and HOME are the sandbox's own (see notes). */
  env: Record<string, string>;
  /** `workspaceFolder` relative to the repository root; absent for the root itself. */
  cwd?: string;
  /** What the file asks for that the job does not do, one sentence each. */
  notes: string[];
}

/** Fields of the spec a job cannot honour, and what it does instead. */
const UNSUPPORTED: Record<string, string> = {
  build: "`build` (a Dockerfile) is not built; the sandbox's image is used",
  dockerFile: "`dockerFile` is not built; the sandbox's image is used",
  dockerComposeFile: "`dockerComposeFile` is not started",
  features: "`features` are not installed; install what they provide in `onCreateCommand`",
  initializeCommand: "`initializeCommand` runs on the host in the spec, so it never runs here",
  postStartCommand: "`postStartCommand` does not run (a job's sandbox is not restarted)",
  postAttachCommand: "`postAttachCommand` does not run (nothing attaches to a job's sandbox)",
};

/** The spec's default workspace folder names the clone by this variable, matched literally here. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: the Dev Container spec's variable, not a template.
const BASENAME_VARIABLE = "${localWorkspaceFolderBasename}";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The sandbox's own variables, which a command's environment may not replace. */
const RESERVED = new Set(["PATH", "HOME"]);

/** Parses `text` (the file at `path` of repository `repoName`); throws SetupError when it is unusable. */
export function parseDevContainer(text: string, path: string, repoName: string): DevContainer {
  const errors: ParseError[] = [];
  const root: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first) {
    const { line, column } = position(text, first.offset);
    throw new SetupError(
      `${path} does not parse: ${printParseErrorCode(first.error)} at line ${line}, column ${column}.`,
    );
  }
  const problem = (what: string) => new SetupError(`${path}: ${what}.`);
  if (typeof root !== "object" || root === null || Array.isArray(root)) {
    throw problem("the file must hold one JSON object");
  }
  const file = root as Record<string, unknown>;
  const notes = Object.keys(UNSUPPORTED)
    .filter((key) => file[key] !== undefined)
    .map((key) => `${path}: ${UNSUPPORTED[key]}.`);
  const commands = {} as Record<LifecycleHook, SetupCommand[]>;
  for (const hook of LIFECYCLE_HOOKS) {
    const parsed = lifecycleCommands(file[hook], hook);
    if (typeof parsed === "string") throw problem(parsed);
    commands[hook] = parsed;
  }
  if (file.image !== undefined && (typeof file.image !== "string" || file.image.trim() === "")) {
    throw problem("`image` must be a non-empty string");
  }
  const env: Record<string, string> = {};
  for (const field of ["containerEnv", "remoteEnv"] as const) {
    const vars = file[field];
    if (vars === undefined) continue;
    if (typeof vars !== "object" || vars === null || Array.isArray(vars)) {
      throw problem(`\`${field}\` must be an object of strings`);
    }
    for (const [name, value] of Object.entries(vars)) {
      if (!ENV_NAME.test(name))
        throw problem(`\`${field}\` names an invalid variable ${JSON.stringify(name)}`);
      // remoteEnv's null unsets a variable (the spec's way to drop one containerEnv set).
      if (value === null && field === "remoteEnv") delete env[name];
      else if (typeof value !== "string") throw problem(`\`${field}.${name}\` must be a string`);
      else if (RESERVED.has(name))
        notes.push(`${path}: \`${field}.${name}\` is ignored; ${name} is the sandbox's own.`);
      else env[name] = value;
    }
  }
  if (Object.values(env).some((value) => value.includes("${"))) {
    notes.push(
      `${path}: variables such as \${containerEnv:…} are not substituted in containerEnv or remoteEnv.`,
    );
  }
  const cwd = workspaceFolder(file.workspaceFolder, repoName, problem);
  return {
    ...(typeof file.image === "string" ? { image: file.image.trim() } : {}),
    commands,
    env,
    ...(cwd ? { cwd } : {}),
    notes,
  };
}

/**
 * `workspaceFolder` as a path relative to the clone: a relative path as it is, the spec's
 * `/workspaces/<repo>/x` (or `/workspaces/${localWorkspaceFolderBasename}/x`) as `x`. Anything
 * else absolute, or a path that climbs out with `..`, is outside the repository: refused.
 */
function workspaceFolder(
  value: unknown,
  repoName: string,
  problem: (what: string) => SetupError,
): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw problem("`workspaceFolder` must be a string");
  let rest = value.trim();
  if (rest.startsWith("/")) {
    const [, top, name, ...tail] = rest.split("/");
    if (top !== "workspaces" || (name !== repoName && name !== BASENAME_VARIABLE)) {
      throw problem(
        `\`workspaceFolder\` ${JSON.stringify(value)} is outside the repository (use a path relative to it, or /workspaces/${repoName}/…)`,
      );
    }
    rest = tail.join("/");
  }
  const parts: string[] = [];
  for (const part of rest.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && parts.pop() !== undefined) continue;
    if (part === "..")
      throw problem(`\`workspaceFolder\` ${JSON.stringify(value)} is outside the repository`);
    parts.push(part);
  }
  return parts.length > 0 ? parts.join("/") : undefined;
}

/** 1-based line and column of `offset` in `text`. */
function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  return { line: before.split("\n").length, column: offset - lineStart + 1 };
}
