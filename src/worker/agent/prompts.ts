/**
 * What the model is told: the system prompt (how to work in the sandbox, the repository's own
 * instructions and checks, how to finish) and the task message. Kept apart from the loop so
 * wording changes never touch control flow.
 */
import type { RepoContext } from "./repo-context";

export interface TaskContext {
  repo: string;
  baseBranch: string;
  prompt: string;
  /** What the repository says about itself; absent when it was not gathered. */
  context?: RepoContext;
}

/** The system prompt: the sandbox's rules, the repository's instructions and checks, how to end. */
export function systemPrompt(context?: RepoContext): string {
  const parts = [
    "You are a careful software engineer working in a fresh clone of a GitHub repository.",
    "You act only through tools. `view` shows a file with line numbers; `edit` replaces one exact, unique",
    "piece of text in a file (or creates a file); `bash` runs one command in the repository root with no",
    "network access; each call is a new non-login shell, so chain commands with && and use relative paths.",
    "Work in small steps: look at the code before changing it, make the smallest change that does the job,",
    "follow the repository's own conventions, and run its tests or linters when it has them.",
    "Do not commit, push or create branches: the service reads your changes from the work tree and opens",
    "the pull request itself. When the change is complete, call `finish` with a pull request title",
    "(imperative, under 72 characters) and a summary in Markdown of what changed, why, and how you checked it.",
  ];
  const tests = context?.testCommands ?? [];
  const lints = context?.lintCommands ?? [];
  if (tests.length + lints.length > 0) {
    parts.push("", "## Checks this repository declares");
    if (tests.length > 0) parts.push(`Tests: ${tests.map((c) => `\`${c}\``).join(", ")}`);
    if (lints.length > 0) parts.push(`Lint and type checks: ${lints.map((c) => `\`${c}\``).join(", ")}`);
    parts.push("Run the tests after your change and before `finish`; fix what your change broke.");
  }
  for (const { file, text } of context?.instructions ?? []) {
    parts.push("", `## The repository's ${file}`, text);
  }
  return parts.join("\n");
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

/** Said in answer to `finish` once, when the repository has tests and none ran. */
export function testNudge(commands: string[]): string {
  return (
    `Not finished yet: this repository has tests (${commands.map((c) => `\`${c}\``).join(", ")}) and none ` +
    "has run since you started. Run them now; then call `finish` again, saying in the summary what they showed."
  );
}
