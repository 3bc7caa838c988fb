/**
 * The `/pr` grammar: `/pr <owner/repo | repository URL>[@base-branch] <what to do>`. Parsing says
 * exactly what is wrong with a malformed command, and the usage text is written here too, so the
 * help a user sees always matches what the parser accepts. Pure: no runtime imports.
 */
import { isValidBranch, parseRepo, type RepoRef } from "../github/repo";

/** The same cap as `POST /code`'s prompt (Slack's own limit on command text is lower still). */
const MAX_PROMPT_CHARS = 20_000;

export type PrCommand =
  | { kind: "help" }
  | { kind: "invalid"; problem: string }
  | { kind: "run"; repo: RepoRef; baseBranch: string | null; prompt: string };

/**
 * Parses the text after `/pr` as Slack sends it (links may arrive as `<url|label>`); `example`
 * writes an invocation for the problems (a mention's differs from the command's).
 */
export function parsePrCommand(
  text: string,
  githubUrl: string,
  example: (args: string) => string = (args) => `\`/pr ${args}\``,
): PrCommand {
  const input = unescapeSlack(text).trim();
  if (input === "" || /^(help|-h|--help|\?)$/i.test(input)) return { kind: "help" };
  const match = /^(\S+)(?:\s+([\s\S]*))?$/.exec(input);
  const target = match?.[1] ?? "";
  const prompt = (match?.[2] ?? "").trim();
  // `owner/repo@branch`: neither owner nor repo may contain "@", so the first one starts the branch.
  // A URL with "@" before its host carries credentials; parseRepo refuses those by name.
  const at = /^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(target) ? -1 : target.indexOf("@");
  const repoText = at === -1 ? target : target.slice(0, at);
  const branch = at === -1 ? null : target.slice(at + 1);
  const repo = parseRepo(repoText, githubUrl);
  if (typeof repo === "string") {
    return {
      kind: "invalid",
      problem: `The first word must be the repository; "${clip(repoText)}" ${repo}.`,
    };
  }
  if (branch !== null && branch === "") {
    return { kind: "invalid", problem: `Nothing follows "@" in "${clip(target)}": name the base branch.` };
  }
  if (branch !== null && !isValidBranch(branch)) {
    return { kind: "invalid", problem: `"${clip(branch)}" is not a valid branch name.` };
  }
  if (prompt === "") {
    return {
      kind: "invalid",
      problem: `Say what to do after the repository, as in ${example(`${repo.owner}/${repo.repo} add input validation`)}.`,
    };
  }
  if (prompt.length > MAX_PROMPT_CHARS) {
    return { kind: "invalid", problem: `The request is too long (at most ${MAX_PROMPT_CHARS} characters).` };
  }
  return { kind: "run", repo, baseBranch: branch, prompt };
}

/** The ephemeral usage message, naming `problem` first when there is one. */
export function usageText(problem: string | null, githubUrl: string): string {
  const host = githubUrl.replace(/\/+$/, "");
  return [
    ...(problem ? [`:warning: ${problem}`, ""] : []),
    `*Usage:* \`/pr <owner/repo | ${host}/owner/repo>[@base-branch] <what to do>\``,
    "Opens a pull request made by a coding agent; progress appears in a thread under my message.",
    "• `/pr acme/api add input validation to all POST endpoints`",
    `• \`/pr ${host}/acme/api@develop fix the flaky date test\` (starts from and targets \`develop\`)`,
    "Without `@base-branch`, the repository's default branch is used. `/pr help` shows this message.",
  ].join("\n");
}

/** Slack escapes `&<>` and wraps links as `<url>` or `<url|label>`; we want what the user typed. */
export function unescapeSlack(text: string): string {
  return text
    .replace(/<((?:https?|mailto):[^|>]+)(?:\|[^>]*)?>/g, "$1")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** What the user typed, quoted back short: cut at a character boundary, never inside a pair. */
function clip(text: string): string {
  if (text.length <= 80) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(76)) ? 76 : 77;
  return `${text.slice(0, end)}...`;
}
