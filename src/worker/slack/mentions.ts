/**
 * The `app_mention` listener (Events API; Bolt acks an event before any listener runs). In a job's
 * thread — its first message of ours carries the job's mark (thread-job.ts) — the mention's text is
 * a follow-up on the same pull request, reported in that thread, whose parent it takes over.
 * Elsewhere `owner/repo <what to do>` starts a job like `/pr`, reported in the mention's thread;
 * anything else gets the usage there. Admission is the user's, as for `/pr`.
 *
 * Slack retries an event it got no 200 for, with the same event_id: the first delivery to reach
 * the listener is remembered (guard.ts) and later ones ignored, and the job id derives from the
 * event_id (job-id.ts), so even two deliveries at once name one job, which starts once.
 */
import type { App, webApi } from "@slack/bolt";
import { notConfigured } from "../config";
import { resolveFollowUp, startFollowUp } from "../followups/start";
import { startJob } from "../jobs/start";
import { admitJob } from "../limits/admit";
import { log } from "../log";
import { escapeClip } from "./format";
import { firstEvent } from "./guard";
import { eventJobId } from "./job-id";
import { mentionUsageText, parseFollowUp, parseNewJob, withoutBotMention } from "./mention-grammar";
import { requestContext } from "./receiver";
import { jobOfThread } from "./thread-job";

/** One mention, as the listener needs it. */
interface Mention {
  team: string;
  user: string;
  channel: string;
  /** The mention's own message, and the thread it is in (its own ts when it is in none). */
  ts: string;
  threadTs: string;
  inThread: boolean;
  /** The text without the bot's mention. */
  text: string;
  /** How to write the bot's mention in a reply. */
  bot: string;
  appId: string;
  jobId: string;
  origin: string;
  tenant: string;
}

export function registerMentionListener(app: App, env: Env): void {
  app.event("app_mention", async ({ event, body, context, client }) => {
    // A mention by no user (a bot's message without one) has no one to answer or to count it for.
    if (!event.user) return;
    if (!(await firstEvent(env, `${body.team_id}:${body.event_id}`))) {
      log.warn("slack: ignored a repeated event", { event_id: body.event_id, retry_num: context.retryNum });
      return;
    }
    const botUserId = body.authorizations?.[0]?.user_id;
    const mention: Mention = {
      team: body.team_id,
      user: event.user,
      channel: event.channel,
      ts: event.ts,
      threadTs: event.thread_ts ?? event.ts,
      inThread: event.thread_ts !== undefined && event.thread_ts !== event.ts,
      text: withoutBotMention(event.text, botUserId),
      bot: botUserId ? `<@${botUserId}>` : "me",
      appId: body.api_app_id,
      jobId: await eventJobId(env.SLACK_SIGNING_SECRET, body.team_id, body.event_id),
      origin: requestContext(context).origin,
      tenant: `slack:${body.team_id}:${event.user}`,
    };
    try {
      await handle(env, client, mention);
    } catch (error) {
      log.error("slack: a mention could not be handled", { job_id: mention.jobId, error });
      await reply(client, mention, ":x: Sorry, that could not be started. Please try again.");
    }
  });
}

async function handle(env: Env, client: webApi.WebClient, m: Mention): Promise<void> {
  const thread = m.inThread
    ? await jobOfThread(client, m.channel, m.threadTs, m.appId)
    : { kind: "none" as const };
  if (thread.kind === "unreadable") {
    await reply(client, m, `:warning: I can't tell whether this is a job's thread: ${thread.reason}.`);
    return;
  }
  const usage = (problem: string | null) =>
    reply(client, m, mentionUsageText(problem, env.GITHUB_URL, m.bot));
  const unconfigured = notConfigured(env);
  const refuseUnconfigured = () =>
    reply(
      client,
      m,
      `:warning: This app is not configured to run jobs yet, so none was started. ${unconfigured?.detail}`,
    );
  if (thread.kind === "none") {
    const parsed = parseNewJob(m.text, env.GITHUB_URL, m.bot);
    if (parsed.kind !== "run") return usage(parsed.kind === "invalid" ? parsed.problem : null);
    if (unconfigured) return refuseUnconfigured();
    if (!(await admitted(env, client, m))) return;
    const { created } = await startJob(env, {
      jobId: m.jobId,
      repo: parsed.repo,
      baseBranch: parsed.baseBranch,
      prompt: parsed.prompt,
      origin: m.origin,
      requester: m.user,
      tenant: m.tenant,
      slack: { channel: m.channel, responseUrl: "", threadTs: m.threadTs },
    });
    if (!created) log.info("slack: repeated mention ignored", { job_id: m.jobId });
    return;
  }
  const parsed = parseFollowUp(m.text);
  if (parsed.kind !== "run") return usage(parsed.kind === "invalid" ? parsed.problem : null);
  if (unconfigured) return refuseUnconfigured();
  const resolved = await resolveFollowUp(env, { jobId: thread.jobId });
  if (resolved.kind !== "found") {
    const why =
      resolved.kind === "conflict"
        ? escapeClip(resolved.detail, 500)
        : "The job of this thread no longer exists.";
    await reply(
      client,
      m,
      `:warning: I can't follow up on this thread: ${why} Start a new job with ${m.bot} \`owner/repo <what to do>\`.`,
    );
    return;
  }
  if (!(await admitted(env, client, m))) return;
  const { created } = await startFollowUp(env, resolved.target, {
    jobId: m.jobId,
    prompt: parsed.prompt,
    origin: m.origin,
    requester: m.user,
    tenant: m.tenant,
    slack: { channel: m.channel, responseUrl: "", threadTs: m.threadTs, parentTs: thread.parentTs },
  });
  if (!created) log.info("slack: repeated mention ignored", { job_id: m.jobId });
}

/** Asks the user's limiter; a refusal is told to them alone. The job id is the idempotency key. */
async function admitted(env: Env, client: webApi.WebClient, m: Mention): Promise<boolean> {
  const admission = await admitJob(env, m.tenant, m.jobId, { key: m.jobId, fingerprint: "" });
  if (admission.kind === "admitted" || admission.kind === "replay") return true;
  if (admission.kind === "limited") {
    const what = admission.reason === "rate" ? "jobs a minute" : "jobs running at once";
    await client.chat.postEphemeral({
      channel: m.channel,
      user: m.user,
      thread_ts: m.threadTs,
      text: `:hourglass: You can start at most ${admission.limit} ${what}; try again in ${admission.retryAfterSeconds} s.`,
    });
    return false;
  }
  log.warn("slack: a mention was not admitted", { job_id: m.jobId, admission: admission.kind });
  return false;
}

/** A reply in the mention's thread; a failure to post it is logged, never thrown. */
async function reply(client: webApi.WebClient, m: Mention, text: string): Promise<void> {
  try {
    await client.chat.postMessage({ channel: m.channel, thread_ts: m.threadTs, text, unfurl_links: false });
  } catch (error) {
    log.error("slack: could not reply to a mention", { job_id: m.jobId, error });
  }
}
