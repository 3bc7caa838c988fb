/**
 * Bolt listeners: `/pr` (usage for anything malformed; otherwise ack, then start the job, its id
 * derived from the trigger_id, with its Slack thread as an output; the JobRoom posts the parent;
 * a deployment lacking a key jobs need says which, ephemerally, and starts nothing)
 * and the parent's Cancel button (only the requester may press it, unless SLACK_CANCEL_POLICY says
 * anyone in the channel). What follows an ack runs in waitUntil and is quick: Durable Object calls.
 * Replays (a captured request sent again within Slack's five-minute window) are answered like the
 * original and then ignored, checked after the ack, never before it: the Cancel press asks the
 * replay guard; a `/pr` asks its tenant's limiter, in the one call that also admits it. A `/pr`
 * would meet its own job anyway (the id is the trigger_id's); the check also stops a replay from
 * starting a job its original was refused (a limit since freed).
 */
import type { App, BlockAction, ButtonAction, RespondFn } from "@slack/bolt";
import { notConfigured, readConfig } from "../config";
import { startJob } from "../jobs/start";
import { admitJob } from "../limits/admit";
import { log } from "../log";
import { CANCEL_ACTION } from "./blocks";
import { parsePrCommand, usageText } from "./grammar";
import { firstDelivery, SIGNATURE_TTL_MS } from "./guard";
import { commandJobId } from "./job-id";
import { registerMentionListener } from "./mentions";
import { requestContext } from "./receiver";

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * Registers the `/pr` command, the Cancel button and mentions (mentions.ts) on `app` (built once
 * per isolate, so what is per request — the origin for the job's links — comes from the
 * receiver's `context`).
 */
export function registerSlackListeners(app: App, env: Env): void {
  registerMentionListener(app, env);
  app.command("/pr", async ({ command, ack, respond, context }) => {
    const { origin, requestSignature } = requestContext(context);
    const parsed = parsePrCommand(command.text, env.GITHUB_URL);
    if (parsed.kind !== "run") {
      const problem = parsed.kind === "invalid" ? parsed.problem : null;
      await ack({ response_type: "ephemeral", text: usageText(problem, env.GITHUB_URL) });
      return;
    }
    const unconfigured = notConfigured(env);
    if (unconfigured) {
      await ack({
        response_type: "ephemeral",
        text: `:warning: This app is not configured to run jobs yet, so none was started. ${unconfigured.detail}`,
      });
      return;
    }
    await ack();
    try {
      // Slack's retries and a double submit carry the same trigger_id, hence the same job id: the
      // JobRoom starts a job for the first of them only.
      const jobId = await commandJobId(env.SLACK_SIGNING_SECRET, command.team_id, command.trigger_id);
      // Per-user abuse limits; the job id doubles as the idempotency key, so a retry is not counted.
      // A replay carries its original's tenant (the body is signed), so that limiter knows it.
      const tenant = `slack:${command.team_id}:${command.user_id}`;
      const admission = await admitJob(
        env,
        tenant,
        jobId,
        { key: jobId, fingerprint: "" },
        { key: requestSignature, ttlMs: SIGNATURE_TTL_MS },
      );
      if (admission.kind === "redelivered") {
        log.warn("slack: ignored a replayed /pr", { job_id: jobId });
        return;
      }
      if (admission.kind === "limited") {
        const what = admission.reason === "rate" ? "jobs a minute" : "jobs running at once";
        await ephemeral(
          respond,
          `:hourglass: You can start at most ${admission.limit} ${what}; try again in ${admission.retryAfterSeconds} s.`,
        );
        return;
      }
      const { created } = await startJob(env, {
        jobId,
        repo: parsed.repo,
        baseBranch: parsed.baseBranch,
        prompt: parsed.prompt,
        // No `draft`: Slack jobs follow the deployment's PR_DRAFT_DEFAULT.
        origin,
        requester: command.user_id,
        tenant,
        slack: { channel: command.channel_id, responseUrl: command.response_url },
      });
      if (!created) log.info("slack: repeated /pr delivery ignored", { job_id: jobId });
    } catch (error) {
      log.error("slack: /pr could not start a job", { error });
      await ephemeral(respond, ":x: Sorry, the job could not be started. Please try again.");
    }
  });

  app.action<BlockAction<ButtonAction>>(CANCEL_ACTION, async ({ ack, body, action, respond, context }) => {
    await ack();
    if (!(await firstDelivery(env, requestContext(context).requestSignature))) {
      log.warn("slack: ignored a replayed Cancel press", { job_id: action.value });
      return;
    }
    const jobId = action.value ?? "";
    const room = JOB_ID.test(jobId) ? env.JOB_ROOM.get(env.JOB_ROOM.idFromName(jobId)) : null;
    const job = room ? await room.job() : null;
    if (!room || !job) {
      await ephemeral(respond, "That job no longer exists.");
      return;
    }
    // An invalid configuration (reported by /pr) falls back to the stricter policy.
    const config = readConfig(env);
    const anyone = config.ok && config.config.slackCancelPolicy === "channel";
    if (!anyone && job.requester !== undefined && job.requester !== body.user.id) {
      await ephemeral(respond, `Only <@${job.requester}>, who started this job, can cancel it.`);
      return;
    }
    const who = body.user.username || body.user.name || body.user.id;
    const outcome = await room.cancel(`Cancelled from Slack by @${who}.`);
    if (outcome === "already-done") await ephemeral(respond, "This job has already finished.");
  });
}

/** A message only the user who acted sees, leaving the message they acted on as it is. */
async function ephemeral(respond: RespondFn, text: string): Promise<void> {
  await respond({ response_type: "ephemeral", replace_original: false, text });
}
