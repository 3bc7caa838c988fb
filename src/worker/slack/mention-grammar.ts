/**
 * What a mention of the bot asks, from its text as Slack sends it (`<@U123> acme/api fix it`): in
 * a job's thread, everything but the mention is the follow-up's prompt; elsewhere it is the `/pr`
 * grammar (grammar.ts). The usage is written here too, so the help matches what is accepted.
 * Pure: no runtime imports.
 */
import { type PrCommand, parsePrCommand, unescapeSlack } from "./grammar";

/** The same cap as `POST /code`'s prompt and `/pr`'s. */
const MAX_PROMPT_CHARS = 20_000;

export type FollowUpText =
  | { kind: "help" }
  | { kind: "invalid"; problem: string }
  | { kind: "run"; prompt: string };

const HELP = /^(help|-h|--help|\?)$/i;

/**
 * `text` without the bot's own mention (`<@U123>` or `<@U123|name>`), wherever it is; when the
 * bot's user id is unknown, without the leading mention.
 */
export function withoutBotMention(text: string, botUserId: string | undefined): string {
  const mention = botUserId
    ? new RegExp(`<@${botUserId.replace(/[^A-Z0-9]/gi, "")}(?:\\|[^>]*)?>`, "g")
    : /^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>/;
  return text
    .replace(mention, " ")
    .replace(/[ \t]+/g, " ")
    .trim();
}

/** A mention in a job's thread: the follow-up's prompt, or why there is none. */
export function parseFollowUp(text: string): FollowUpText {
  const prompt = unescapeSlack(text).trim();
  if (prompt === "" || HELP.test(prompt)) return { kind: "help" };
  if (prompt.length > MAX_PROMPT_CHARS) {
    return { kind: "invalid", problem: `The request is too long (at most ${MAX_PROMPT_CHARS} characters).` };
  }
  return { kind: "run", prompt };
}

/** A mention outside a job's thread: `/pr`'s grammar, its problems written as mentions. */
export function parseNewJob(text: string, githubUrl: string, bot: string): PrCommand {
  return parsePrCommand(text, githubUrl, (args) => `${bot} \`${args}\``);
}

/** The usage, naming `problem` first when there is one; `bot` is the bot's mention (`<@U123>`). */
export function mentionUsageText(problem: string | null, githubUrl: string, bot: string): string {
  const host = githubUrl.replace(/\/+$/, "");
  return [
    ...(problem ? [`:warning: ${problem}`, ""] : []),
    `*Usage:* mention me with \`<owner/repo | ${host}/owner/repo>[@base-branch] <what to do>\` to start a job; its progress appears in this thread.`,
    `• ${bot} \`acme/api add input validation to all POST endpoints\``,
    `• ${bot} \`acme/api@develop fix the flaky date test\` (starts from and targets \`develop\`)`,
    `In a job's thread, mention me with what to change next: the same pull request gets a new commit, as in ${bot} \`also cover the PUT endpoints\`.`,
  ].join("\n");
}
