/**
 * `POST /github/webhook`: GitHub's deliveries. The signature (`X-Hub-Signature-256`, HMAC-SHA256
 * of the raw body under GITHUB_WEBHOOK_SECRET) is checked before anything is parsed; the secret and
 * the signature are never logged. `ping` and every event we do not act on get 204. A comment or
 * review mentioning the bot on one of our PRs starts a follow-up (github/webhook-followup.ts),
 * answered 202 with its job id; the decision is made before the answer, well within GitHub's 10 s.
 */
import { verify } from "@octokit/webhooks-methods";
import { Hono } from "hono";
import { notConfigured, readConfig } from "../config";
import { ApiError } from "../errors";
import { followUpFromGitHub } from "../github/webhook-followup";
import { askOf } from "../github/webhook-payload";
import { log } from "../log";

/** GitHub caps a delivery's payload at 25 MB; anything larger is not GitHub's. */
const MAX_BODY_BYTES = 25 * 1024 * 1024;
const SIGNATURE = /^sha256=[0-9a-f]{64}$/;
/** GitHub's delivery ids are GUIDs; any short printable token is accepted. */
const DELIVERY = /^[\x21-\x7e]{1,100}$/;

export const githubWebhook = new Hono<{ Bindings: Env }>().post("/webhook", async (c) => {
  const config = readConfig(c.env);
  if (!config.ok) {
    throw new ApiError(503, "Server not configured", `Invalid ${config.problems.join("; ")}.`);
  }
  const secret = config.config.github.webhook.secret;
  if (!secret) {
    throw new ApiError(
      503,
      "GitHub webhook not configured",
      "Set GITHUB_WEBHOOK_SECRET (the webhook's secret on GitHub) to receive deliveries (README, GitHub webhook).",
      { missing: ["GITHUB_WEBHOOK_SECRET"] },
    );
  }
  const length = Number(c.req.header("content-length") ?? "0");
  if (length > MAX_BODY_BYTES) throw new ApiError(413, "Body too large", "A delivery is at most 25 MB.");
  const body = await c.req.text();
  const signature = c.req.header("x-hub-signature-256") ?? "";
  // verify() throws on an empty body or a signature that is not hex; neither was signed by GitHub.
  if (body === "" || !SIGNATURE.test(signature) || !(await verify(secret, body, signature))) {
    throw new ApiError(401, "Bad signature", "X-Hub-Signature-256 is missing or does not match the body.");
  }
  const event = c.req.header("x-github-event") ?? "";
  const deliveryId = c.req.header("x-github-delivery") ?? "";
  if (event !== "issue_comment" && event !== "pull_request_review") return c.body(null, 204);
  if (!DELIVERY.test(deliveryId)) {
    throw new ApiError(400, "Invalid delivery", "X-GitHub-Delivery is missing or malformed.");
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    throw new ApiError(
      400,
      "Invalid JSON",
      "The payload is not JSON (set the webhook's content type to application/json).",
    );
  }
  const ask = askOf(event, payload);
  const fields = { event, delivery: deliveryId };
  if ("ignored" in ask) {
    log.info("github webhook: nothing to do", { ...fields, reason: ask.ignored });
    return c.body(null, 204);
  }
  const unconfigured = notConfigured(c.env);
  if (unconfigured) {
    throw new ApiError(503, "Server not configured", unconfigured.detail, { missing: unconfigured.keys });
  }
  const outcome = await followUpFromGitHub(
    c.env,
    config.config,
    ask,
    { id: deliveryId, origin: new URL(c.req.url).origin },
    secret,
  );
  log.info("github webhook: handled", { ...fields, ...outcome });
  if (outcome.kind === "ignored") return c.body(null, 204);
  if (outcome.kind === "answered") return c.json({ answered: outcome.reason }, 200);
  return c.json({ jobId: outcome.jobId, created: outcome.created }, 202);
});
