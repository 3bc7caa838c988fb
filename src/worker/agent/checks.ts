/**
 * Which commands verified the change: the bash steps that ran the repository's own test or lint
 * commands (or anything that looks like a test run), with their real exit codes — taken from the
 * step records, never from what the model says it did.
 */

export interface CheckRun {
  command: string;
  exitCode: number;
}

const TEST_LIKE =
  /\b(npm (run )?test|pnpm (run )?test|yarn test|npx (vitest|jest)|vitest|jest|pytest|tox|cargo test|go test|make (test|check|lint)|ruff|eslint|biome|tsc|mypy|rspec|phpunit|mvn test|gradle test)\b/;

/** True when `command` runs one of `known` (the repo's detected commands) or a common test runner. */
export function isCheck(command: string, known: string[]): boolean {
  return known.some((k) => command.includes(k)) || TEST_LIKE.test(command);
}

/** True when one of `runs` executed a detected test command (or any test runner). */
export function ranTests(runs: CheckRun[], testCommands: string[]): boolean {
  return runs.some((r) => testCommands.some((t) => r.command.includes(t)) || TEST_LIKE.test(r.command));
}
