/**
 * The agent's view of the sandbox once the environment is set up: every command runs with the
 * plan's environment variables (devcontainer `containerEnv` and `remoteEnv`) in its working
 * directory (`workspaceFolder`). File reads and writes stay relative to the repository root.
 */
import type { Sandbox } from "../sandbox";
import type { EnvironmentPlan } from "./plan";

export function inEnvironment(sandbox: Sandbox, plan: EnvironmentPlan | undefined): Sandbox {
  if (!plan) return sandbox;
  return {
    exec: (argv, options) =>
      sandbox.exec(argv, { ...options, env: plan.env, ...(plan.cwd ? { cwd: plan.cwd } : {}) }),
    readFile: (path) => sandbox.readFile(path),
    writeFile: (path, content) => sandbox.writeFile(path, content),
  };
}
