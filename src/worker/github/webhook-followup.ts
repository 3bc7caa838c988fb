/**
 * A PR comment or review that mentions the bot, from a verified delivery to a started follow-up:
 * who asked (never a bot; only someone with write access), then which conversation (only a PR this
 * deployment opened; anything else is not ours and gets no answer), the tenant's limits, then the
 * job, whose id is the delivery's (a redelivery starts nothing), and 👀 on what asked. A closed PR
 * or a limit is answered on the PR, since nobody else would tell the author. The follow-up's own
 * reply, when it ends, is the JobRoom's (reply-projection.ts).
 */
import type { Config } from "../config";
import { deps } from "../deps";
import { resolveFollowUp, startFollowUp } from "../followups/start";
import type { GitHubReply } from "../followups/types";
import { admitJob } from "../limits/admit";
import { log } from "../log";
import { botName } from "./bot-name";
import { type GitHubClient, gitHubFor } from "./client";
import { deliveryJobId } from "./delivery-job-id";
import { parseRepo, type RepoRef } from "./repo";
import { reviewComments, reviewPrompt } from "./review-prompt";
import { mentionNames, promptOf } from "./webhook-mention";
import type { WebhookAsk } from "./webhook-payload";
import { hasWriteAccess } from "./write-access";

export type WebhookOutcome =
  | { kind: "ignored"; reason: string }
  | { kind: "answered"; reason: string }
  | { kind: "started"; jobId: string; created: boolean };

export interface Delivery {
  id: string;
  /** The Worker's public origin, for the job's links. */
  origin: string;
}

/** Acts on `ask`; resolves to what was done (for the delivery's answer and the log). */
export async function followUpFromGitHub(
  env: Env,
  config: Config,
  ask: WebhookAsk,
  delivery: Delivery,
  webhookSecret: string,
): Promise<WebhookOutcome> {
  const ignored = (reason: string): WebhookOutcome => ({ kind: "ignored", reason });
  if (ask.bot) return ignored("written by a bot");
  const repo = parseRepo(ask.repo, config.github.webUrl);
  if (typeof repo === "string") return ignored(`repository ${ask.repo} ${repo}`);
  const github = deps(env).github;
  const name = await botName(github, config.github.webhook.mention);
  if (mentionNames(name).some((n) => n.toLowerCase() === ask.login.toLowerCase()))
    return ignored("written by the bot itself");
  const request = promptOf(ask.body, name);
  if (request === null) return ignored(`no mention of @${name}`);
  // Who asks first: anyone may comment on a public PR, and a stranger's mention should cost no
  // more than this one check (none at all for OWNER, MEMBER and COLLABORATOR).
  const client = await gitHubFor(github, repo);
  if (!(await hasWriteAccess(client, repo, ask.login, ask.association)))
    return ignored(`@${ask.login} has no write access`);
  const resolved = await resolveFollowUp(env, { repo: `${repo.owner}/${repo.repo}`, number: ask.number });
  // Not a PR of ours: say nothing, not even whether we know it.
  if (resolved.kind === "not_found") return ignored("not a pull request this deployment opened");
  if (resolved.kind === "conflict") {
    await comment(client, repo, ask.number, `@${ask.login} ${resolved.detail} Nothing was started.`);
    return { kind: "answered", reason: resolved.detail };
  }
  const prompt =
    ask.source.kind === "review"
      ? reviewPrompt(request, await reviewComments(client, repo, ask.number, ask.source.reviewId))
      : request;
  if (prompt === "") {
    await comment(client, repo, ask.number, usage(ask.login, name));
    return { kind: "answered", reason: "a mention without a request" };
  }
  const jobId = await deliveryJobId(webhookSecret, delivery.id);
  const tenant = `github:${ask.login}`;
  // The job id doubles as the idempotency key, so a redelivery is not counted twice.
  const admission = await admitJob(env, tenant, jobId, { key: jobId, fingerprint: "" });
  if (admission.kind === "limited") {
    const what = admission.reason === "rate" ? "jobs a minute" : "jobs running at once";
    await comment(
      client,
      repo,
      ask.number,
      `@${ask.login} You can start at most ${admission.limit} ${what}; nothing was started. Try again in ${admission.retryAfterSeconds} s.`,
    );
    return { kind: "answered", reason: `limited (${admission.reason})` };
  }
  const reply: GitHubReply = { number: ask.number, source: ask.source, login: ask.login };
  let started: { jobId: string; created: boolean };
  try {
    started = await startFollowUp(env, resolved.target, {
      prompt,
      origin: delivery.origin,
      requester: tenant,
      tenant,
      github: reply,
      jobId,
    });
  } catch (error) {
    // The author would otherwise wait for an answer that never comes; the delivery still fails (500).
    await comment(
      client,
      repo,
      ask.number,
      `@${ask.login} Sorry, the follow-up could not be started. Please try again.`,
    ).catch((failed: unknown) =>
      log.warn("github webhook: could not say the follow-up failed to start", { error: failed }),
    );
    throw error;
  }
  if (started.created) await react(client, repo, ask);
  else log.info("github webhook: a redelivery; its follow-up already exists", { job_id: started.jobId });
  return { kind: "started", ...started };
}

/** 👀 on the comment (or, for a review, on the PR: reviews take no reactions); a failure is only logged. */
async function react(client: GitHubClient, repo: RepoRef, ask: WebhookAsk): Promise<void> {
  const where = { owner: repo.owner, repo: repo.repo, content: "eyes" as const };
  try {
    if (ask.source.kind === "issue_comment")
      await client.rest.reactions.createForIssueComment({ ...where, comment_id: ask.source.commentId });
    else await client.rest.reactions.createForIssue({ ...where, issue_number: ask.number });
  } catch (error) {
    log.warn("github webhook: could not react to the request", { repo: `${repo.owner}/${repo.repo}`, error });
  }
}

async function comment(client: GitHubClient, repo: RepoRef, number: number, body: string): Promise<void> {
  await client.rest.issues.createComment({ owner: repo.owner, repo: repo.repo, issue_number: number, body });
}

function usage(login: string, name: string): string {
  return `@${login} Tell me what to change after the mention, e.g. \`@${name} rename the helper and update its tests\`. Nothing was started.`;
}
