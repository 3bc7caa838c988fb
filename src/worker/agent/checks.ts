/**
 * Which commands verified the change: the bash steps that ran the repository's own test or lint
 * commands (or anything that looks like a test run), with their real exit codes — taken from the
 * step records, never from what the model says it did.
 */

export interface CheckRun {
  command: string;
  exitCode: number;
}

/** Test runners, wherever a command names one. */
const TEST_RUNNER =
  /\b(npm (run )?test|pnpm (run )?test|yarn test|vitest|jest|pytest|tox|cargo test|go test|make (test|check)|rspec|phpunit|mvn test|gradle test)\b/;
/** Linters and type checkers. */
const LINTER = /\b(make lint|ruff|eslint|biome|tsc|mypy|cargo clippy|go vet|flake8|pylint)\b/;

/** True when `command` runs one of `known` (the repo's detected commands) or a common test runner. */
export function isCheck(command: string, known: string[]): boolean {
  return known.some((k) => command.includes(k)) || TEST_RUNNER.test(command) || LINTER.test(command);
}

/** True when one of `runs` executed a detected test command (or any test runner). */
export function ranTests(runs: CheckRun[], testCommands: string[]): boolean {
  return runs.some((r) => testCommands.some((t) => r.command.includes(t)) || TEST_RUNNER.test(r.command));
}
