/**
 * Thread replies at the moments worth a notification: the sandbox is ready, the tests ran (the
 * first time, and whenever their outcome flips), and the end — PR link, reason for a failure or
 * cancellation, and the usage. Everything else only edits the parent message. Replies are plain
 * text messages; what they quote is cut so a reply stays a few thousand characters at most.
 */
import type { LoggedEvent } from "../../protocol/events";
import { codeSpan, escapeClip, stepSummary, usageLine } from "./format";
import type { ThreadView } from "./view";

/** Commands that run a test suite, in the ecosystems an agent meets most. */
const TEST_COMMAND =
  /\b((npm|pnpm|yarn|bun)\s+(run\s+)?test|npx\s+(vitest|jest|mocha)|vitest|jest|pytest|python3?\s+-m\s+(pytest|unittest)|go\s+test|cargo\s+(test|nextest)|make\s+(test|check)|mvn\b.*\btest|gradlew?\b.*\btest|rspec|dotnet\s+test|phpunit|mix\s+test|ctest|tox)\b/;

/** How much of a failure's reason the final reply quotes, escaped (Slack allows 40,000). */
const REASON_CHARS = 3_000;
const STATUS_CHARS = 500;
const TITLE_CHARS = 300;

/** What the replies remember between events: the last test outcome seen. */
export interface MilestoneMemory {
  testsPassed: boolean | null;
}

/** The reply `event` deserves, if any; `view()` folds the log up to and including `event`. */
export function milestoneReply(
  event: LoggedEvent,
  memory: MilestoneMemory,
  view: () => ThreadView,
): string | null {
  if (event.type === "status" && event.data.phase === "working") {
    return `:package: Sandbox ready. ${escapeClip(event.data.message, STATUS_CHARS)}.`;
  }
  if (event.type === "step") {
    const command = stepSummary(event.data.input);
    if (!TEST_COMMAND.test(command)) return null;
    const passed = event.data.exitCode === undefined ? null : event.data.exitCode === 0;
    if (memory.testsPassed !== null && passed === memory.testsPassed) return null;
    memory.testsPassed = passed;
    const outcome =
      passed === null ? "ran" : passed ? "passed" : `failed (exit ${event.data.exitCode ?? "?"})`;
    return `:test_tube: Tests ${outcome}: ${codeSpan(command)} (step ${event.data.n})`;
  }
  if (event.type === "done") return finalReply(view());
  return null;
}

/** The last word in the thread: the PR link or the reason, then the usage. */
export function finalReply(view: ThreadView): string {
  const usage = view.usage ? `\n${usageLine(view.usage)}` : "";
  if (view.status === "succeeded" && view.pr) {
    const pr = view.pr;
    const size = `${pr.filesChanged} file${pr.filesChanged === 1 ? "" : "s"}, +${pr.additions} −${pr.deletions}`;
    const link = `<${pr.url}|#${pr.number} ${escapeClip(pr.title, TITLE_CHARS)}>`;
    if (pr.updated) {
      const commit = pr.headSha ? ` with <${pr.url}/commits/${pr.headSha}|${pr.headSha.slice(0, 7)}>` : "";
      return `:white_check_mark: Pull request updated: ${link}${commit} (${size})${usage}`;
    }
    const draft = pr.draft ? " (draft)" : "";
    return `:white_check_mark: Pull request opened${draft}: ${link} (${size})${usage}`;
  }
  if (view.status === "succeeded" && view.followUp) {
    const pr = view.followUp;
    const link = `<${pr.url}|#${pr.number} ${escapeClip(pr.title, TITLE_CHARS)}>`;
    return `:white_check_mark: Nothing to change, so ${link} stays as it was.${usage}`;
  }
  if (view.status === "cancelled") {
    return `:no_entry_sign: Cancelled. ${escapeClip(view.error?.message ?? "", REASON_CHARS)}${usage}`;
  }
  if (view.status === "failed") {
    const reason = view.error
      ? `${escapeClip(view.error.message, REASON_CHARS)} (${codeSpan(view.error.code, 60)})`
      : "no reason was recorded";
    return `:x: The job failed: ${reason}${usage}`;
  }
  return `:white_check_mark: Done.${usage}`;
}
