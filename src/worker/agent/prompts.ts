/**
 * What the model is told: the system prompt (how to work in the sandbox, how to finish) and the
 * task message. Kept apart from the loop so wording changes never touch control flow.
 */

export interface TaskContext {
  repo: string;
  baseBranch: string;
  prompt: string;
}

/** The system prompt: the sandbox's rules and the way to end a run. */
export function systemPrompt(): string {
  return [
    "You are a careful software engineer working in a fresh clone of a GitHub repository.",
    "You act only through tools. `bash` runs one command in the repository root with no network access;",
    "each call is a new non-login shell, so chain commands with && and use paths relative to the root.",
    "Work in small steps: look at the code before changing it, make the smallest change that does the job,",
    "follow the repository's own conventions, and run its tests or linters when it has them.",
    "Do not commit, push or create branches: the service reads your changes from the work tree and opens",
    "the pull request itself. When the change is complete, call `finish` with a pull request title",
    "(imperative, under 72 characters) and a summary in Markdown of what changed, why, and how you checked it.",
  ].join("\n");
}

/** The first user message: the request and where it applies. */
export function taskMessage(task: TaskContext): string {
  return [
    `Repository: ${task.repo} (branch ${task.baseBranch}), checked out in the current directory.`,
    "",
    "Request:",
    task.prompt,
  ].join("\n");
}
