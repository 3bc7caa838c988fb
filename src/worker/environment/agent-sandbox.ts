/**
 * The agent's view of the sandbox: nothing reaches it before `ready` (the setup phase's end, which
 * the first model call may overlap), so no agent command runs while setup does and a failed setup
 * fails every call; then every command runs with the plan's environment variables (devcontainer
 * `containerEnv` and `remoteEnv`) in its working directory (`workspaceFolder`). File reads and
 * writes stay relative to the repository root.
 */
import type { Sandbox } from "../sandbox";
import type { EnvironmentPlan } from "./plan";

export function inEnvironment(
  sandbox: Sandbox,
  plan: EnvironmentPlan | undefined,
  ready: Promise<unknown>,
): Sandbox {
  const where = plan ? { env: plan.env, ...(plan.cwd ? { cwd: plan.cwd } : {}) } : {};
  return {
    exec: async (argv, options) => {
      await ready;
      return sandbox.exec(argv, { ...options, ...where });
    },
    readFile: async (path) => {
      await ready;
      return sandbox.readFile(path);
    },
    writeFile: async (path, content) => {
      await ready;
      return sandbox.writeFile(path, content);
    },
  };
}
