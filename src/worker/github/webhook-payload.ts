/**
 * What the webhook reads of GitHub's payloads, checked with zod (a signed payload is GitHub's, but
 * its shape is still only what we parse). The two events that can ask for a follow-up — a new
 * comment on a PR (`issue_comment` created on an issue with `pull_request`) and a submitted
 * review — become one `WebhookAsk`; anything else is not ours to act on.
 */
import { z } from "zod";

const user = z.object({ login: z.string().min(1), type: z.string().optional() });
const repository = z.object({ full_name: z.string().min(1) });

const issueComment = z.object({
  action: z.string(),
  issue: z.object({
    number: z.number().int().positive(),
    // Present (an object) only when the issue is a pull request.
    pull_request: z.object({}).nullish(),
  }),
  comment: z.object({
    id: z.number().int().positive(),
    body: z.string().nullish(),
    user,
    author_association: z.string(),
  }),
  repository,
});

const review = z.object({
  action: z.string(),
  review: z.object({
    id: z.number().int().positive(),
    body: z.string().nullish(),
    // A review by a deleted account has no user.
    user: user.nullish(),
    author_association: z.string(),
  }),
  pull_request: z.object({ number: z.number().int().positive() }),
  repository,
});

/** A comment or review that may ask the bot for a follow-up on a PR. */
export interface WebhookAsk {
  /** `owner/name` as GitHub spells it. */
  repo: string;
  number: number;
  login: string;
  /** The author's `author_association` (OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, NONE, …). */
  association: string;
  /** Whether the author is a bot account (never obeyed: bots answering bots is a loop). */
  bot: boolean;
  body: string;
  source: { kind: "issue_comment"; commentId: number } | { kind: "review"; reviewId: number };
}

/** Why an event is not a request: said in the log, never to GitHub. */
export type NotAsk = { ignored: string };

/** The ask in `payload` of event `event`, or why there is none. */
export function askOf(event: string, payload: unknown): WebhookAsk | NotAsk {
  if (event === "issue_comment") {
    const parsed = issueComment.safeParse(payload);
    if (!parsed.success) return { ignored: `unexpected issue_comment payload: ${firstIssue(parsed.error)}` };
    const { action, issue, comment, repository: repo } = parsed.data;
    if (action !== "created") return { ignored: `issue_comment ${action}` };
    if (!issue.pull_request) return { ignored: "a comment on an issue, not a pull request" };
    return {
      repo: repo.full_name,
      number: issue.number,
      login: comment.user.login,
      association: comment.author_association,
      bot: comment.user.type === "Bot",
      body: comment.body ?? "",
      source: { kind: "issue_comment", commentId: comment.id },
    };
  }
  if (event === "pull_request_review") {
    const parsed = review.safeParse(payload);
    if (!parsed.success)
      return { ignored: `unexpected pull_request_review payload: ${firstIssue(parsed.error)}` };
    const { action, review: r, pull_request: pull, repository: repo } = parsed.data;
    if (action !== "submitted") return { ignored: `pull_request_review ${action}` };
    if (!r.user) return { ignored: "a review without an author" };
    return {
      repo: repo.full_name,
      number: pull.number,
      login: r.user.login,
      association: r.author_association,
      bot: r.user.type === "Bot",
      body: r.body ?? "",
      source: { kind: "review", reviewId: r.id },
    };
  }
  return { ignored: `event ${event}` };
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid";
}
