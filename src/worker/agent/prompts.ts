/**
 * What the model is told: the system prompt (how to work in the sandbox, the repository's own
 * instructions and checks, how to finish) and the task message. Kept apart from the loop so
 * wording changes never touch control flow. A follow-up's system prompt also carries the pull
 * request's conversation so far (follow-up-prompt.ts): it is standing context for the whole run,
 * like the repository's instructions, while the user's message stays the one request to act on.
 */
import { type FollowUpTask, followUpSection } from "./follow-up-prompt";
import type { RepoContext } from "./repo-context";

export type { FollowUpTask } from "./follow-up-prompt";

export interface TaskContext {
  repo: string;
  baseBranch: string;
  prompt: string;
  /** What the repository says about itself; absent when it was not gathered. */
  context?: RepoContext;
  /** The run continues this pull request (its branch is checked out); absent on a first turn. */
  followUp?: FollowUpTask;
}

/** The system prompt: the sandbox's rules, the repository's instructions and checks, how to end. */
export function systemPrompt(context?: RepoContext, followUp?: FollowUpTask): string {
  const parts = [
    followUp
      ? "You are a careful software engineer continuing a pull request, in a clone of its GitHub repository."
      : "You are a careful software engineer working in a fresh clone of a GitHub repository.",
    "You act only through tools. `view` shows a file with line numbers; `edit` replaces one exact, unique",
    "piece of text in a file (or creates a file); `bash` runs one command in the repository root with no",
    "network access; each call is a new non-login shell, so chain commands with && and use relative paths.",
    "Work in small steps: look at the code before changing it, make the smallest change that does the job,",
    "follow the repository's own conventions, and run its tests or linters when it has them.",
    ...(followUp ? FOLLOW_UP_ENDING : FIRST_ENDING),
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
  if (followUp) parts.push("", followUpSection(followUp));
  return parts.join("\n");
}

const FIRST_ENDING = [
  "Do not commit, push or create branches: the service reads your changes from the work tree and opens",
  "the pull request itself. When the change is complete, call `finish` with a pull request title",
  "(imperative, under 72 characters) and a summary in Markdown of what changed, why, and how you checked it.",
];

const FOLLOW_UP_ENDING = [
  "Do not commit, push or switch branches: the service reads your changes from the work tree and adds them",
  "to the pull request as one new commit. When the change is complete, call `finish` with a summary in",
  "Markdown of what this turn changed, why, and how you checked it. Give `finish` a `title` only when the",
  "request asks to rename the pull request; otherwise it keeps its title.",
];

/** The first user message: the request and where it applies. */
export function taskMessage(task: TaskContext): string {
  const f = task.followUp;
  if (f) {
    return [
      `Repository: ${task.repo}. Pull request #${f.number} (branch ${f.branch}, into ${task.baseBranch}) is`,
      "checked out in the current directory with its earlier commits.",
      "",
      "Follow-up request:",
      task.prompt,
    ].join("\n");
  }
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
