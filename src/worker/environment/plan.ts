/**
 * A job's environment plan, computed once before the sandbox starts: the setup commands (the
 * devcontainer.json's lifecycle hooks, or else the deployment's SETUP_COMMAND as its only
 * postCreate-like command), the environment and working directory of every later command, the
 * image, and the cache key. The key is a digest of the repository, the devcontainer.json blob (or
 * the SETUP_COMMAND text) and the root's lockfiles by path and blob id: a change to any of them
 * sets the environment up afresh, and no two repositories ever share an entry.
 */
import type { LifecycleHook, SetupCommand } from "./commands";
import { parseDevContainer } from "./devcontainer";
import type { EnvironmentFiles } from "./repo-files";

export interface EnvironmentPlan {
  /** Where the commands come from: the devcontainer.json's path, or `SETUP_COMMAND`. */
  source: string;
  commands: Record<LifecycleHook, SetupCommand[]>;
  env: Record<string, string>;
  cwd?: string;
  image?: string;
  cacheKey: string;
  notes: string[];
}

/** The plan for `repo` (`owner/name`), or null when there is nothing to set up or honour. */
export async function planEnvironment(
  repo: string,
  files: EnvironmentFiles,
  setupCommand: string,
): Promise<EnvironmentPlan | null> {
  const lockfiles = files.lockfiles.map((f) => `${f.path}:${f.sha}`).sort();
  const { devcontainer } = files;
  if (devcontainer) {
    const parsed = parseDevContainer(devcontainer.text, devcontainer.path, repo.split("/").at(-1) ?? repo);
    const key = await cacheKey([repo, `devcontainer:${devcontainer.sha}`, ...lockfiles]);
    return {
      source: devcontainer.path,
      commands: parsed.commands,
      env: parsed.env,
      ...(parsed.cwd ? { cwd: parsed.cwd } : {}),
      ...(parsed.image ? { image: parsed.image } : {}),
      cacheKey: key,
      notes: parsed.notes,
    };
  }
  if (setupCommand === "") return null;
  return {
    source: "SETUP_COMMAND",
    commands: {
      onCreateCommand: [],
      updateContentCommand: [],
      postCreateCommand: [{ argv: ["/bin/sh", "-c", setupCommand] }],
    },
    env: {},
    cacheKey: await cacheKey([repo, `setup-command:${setupCommand}`, ...lockfiles]),
    notes: [],
  };
}

/** True when the plan runs anything: a plan of environment and image alone has no setup phase. */
export function hasCommands(plan: EnvironmentPlan): boolean {
  return Object.values(plan.commands).some((commands) => commands.length > 0);
}

/** sha256 (hex) over the parts, each length-prefixed so no two lists digest alike. */
async function cacheKey(parts: string[]): Promise<string> {
  const text = parts.map((p) => `${p.length}:${p}`).join("\n");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
