/**
 * The OpenAPI paths of a pull request's conversation: follow-ups through the API, and GitHub's
 * webhook deliveries that start them from PR comments and reviews (openapi.ts merges them in).
 */
import { jobId, problem, retryAfter } from "./openapi-parts";

export const conversationPaths = {
  "/jobs/{id}/followups": {
    post: {
      summary: "Follow up the job's pull request: a new job that updates the same PR; stream its events",
      security: [{ bearer: [] }],
      parameters: [
        jobId,
        {
          name: "Idempotency-Key",
          in: "header",
          required: false,
          description:
            "Up to 255 printable ASCII characters. The same key with the same job and body within 24 h streams the follow-up it started instead of starting another.",
          schema: { type: "string", maxLength: 255 },
        },
      ],
      requestBody: {
        required: true,
        content: { "application/json": { schema: { $ref: "#/components/schemas/FollowUpRequest" } } },
      },
      responses: {
        "200": {
          description:
            "Server-sent events of the follow-up job: `job` (with followUpOf and pr) … `pr` (updated: true, headSha) … `done`",
          content: { "text/event-stream": {} },
        },
        "400": { description: "Invalid field", content: problem },
        "401": { description: "Missing or wrong token", content: problem },
        "404": { description: "Unknown job, or another tenant's", content: problem },
        "409": {
          description: "The job opened no pull request, or its pull request is closed or merged",
          content: problem,
        },
        "413": { description: "Body too large", content: problem },
        "415": { description: "Not JSON", content: problem },
        "429": { description: "Too many jobs for this token", headers: retryAfter, content: problem },
      },
    },
  },
  "/github/webhook": {
    post: {
      summary: "GitHub's webhook deliveries: a PR comment or review mentioning the bot starts a follow-up",
      description:
        "Signed by GitHub with GITHUB_WEBHOOK_SECRET (`X-Hub-Signature-256`: HMAC-SHA256 of the raw body). Acts on `issue_comment` (created) and `pull_request_review` (submitted) that mention `@<bot>` on a pull request this deployment opened, from someone with write access; the job id comes from `X-GitHub-Delivery`, so a redelivery starts nothing new. The follow-up answers with one comment on the PR when it ends.",
      parameters: [
        {
          name: "X-Hub-Signature-256",
          in: "header",
          required: true,
          description: "`sha256=<hex HMAC-SHA256 of the body under the webhook secret>`",
          schema: { type: "string", pattern: "^sha256=[0-9a-f]{64}$" },
        },
        {
          name: "X-GitHub-Event",
          in: "header",
          required: true,
          description: "`issue_comment` and `pull_request_review` are acted on; any other is answered 204",
          schema: { type: "string" },
        },
        {
          name: "X-GitHub-Delivery",
          in: "header",
          required: true,
          description: "The delivery's GUID; the follow-up's job id is derived from it",
          schema: { type: "string" },
        },
      ],
      requestBody: {
        required: true,
        content: {
          "application/json": { schema: { type: "object", description: "GitHub's event payload" } },
        },
      },
      responses: {
        "200": {
          description:
            "Answered on the PR instead (closed or merged, a limit, a mention without a request): `{ answered }`",
          content: { "application/json": {} },
        },
        "202": {
          description: "The follow-up: `{ jobId, created }` (`created` false for a redelivery)",
          content: { "application/json": {} },
        },
        "204": {
          description:
            "Nothing to do: ping, another event, no mention, no write access, or a PR this deployment did not open",
        },
        "400": { description: "No X-GitHub-Delivery, or the payload is not JSON", content: problem },
        "401": { description: "Missing or wrong X-Hub-Signature-256", content: problem },
        "413": { description: "Over 25 MB", content: problem },
        "503": { description: "GITHUB_WEBHOOK_SECRET (or a key jobs need) is not set", content: problem },
      },
    },
  },
};
