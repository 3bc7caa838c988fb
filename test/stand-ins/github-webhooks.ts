// GitHub's webhook deliveries, as a test sends them to the Worker: `issue_comment` (created) for a
// comment and `pull_request_review` (submitted) for a review said on the GitHub stand-in, built
// from what the stand-in's REST API answers for the repository and the pull request (read with the
// real Octokit), in the webhook's shape, checked against @octokit/webhooks-schemas BEFORE sending
// (a payload GitHub could not send is a bug in the test, thrown), signed as GitHub signs
// (`X-Hub-Signature-256: sha256=<HMAC of the raw body>`) and POSTed with GitHub's headers.
import { createHmac, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { Octokit } from "@octokit/rest";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { GitHubStandIn } from "./github";
import { userJson } from "./github-objects";
import type { IssueCommentRecord, ReviewRecord } from "./github-talk";

type Json = Record<string, unknown>;
interface SchemaDocument {
  definitions: Record<string, { properties?: Record<string, unknown> }>;
}

let loaded: { ajv: Ajv; doc: SchemaDocument } | undefined;
const validators = new Map<string, ValidateFunction>();

function schemas(): { ajv: Ajv; doc: SchemaDocument } {
  if (loaded) return loaded;
  const doc = createRequire(import.meta.url)("@octokit/webhooks-schemas") as SchemaDocument & Json;
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  // ajv-formats is CommonJS; depending on the loader its default export may arrive wrapped.
  const addFormats = (
    "default" in addFormatsModule ? addFormatsModule.default : addFormatsModule
  ) as typeof addFormatsModule.default;
  addFormats(ajv);
  ajv.addSchema({ ...doc, $id: "webhooks" });
  loaded = { ajv, doc };
  return loaded;
}

/** Problems with `payload` as event `name` (`issue_comment$created`, …); empty when GitHub could send it. */
export function checkWebhookPayload(name: string, payload: unknown): string[] {
  let validate = validators.get(name);
  if (!validate) {
    validate = schemas().ajv.getSchema(`webhooks#/definitions/${name}`);
    if (!validate) return [`no webhook schema ${name}`];
    validators.set(name, validate);
  }
  if (validate(payload)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`,
  );
}

/** `value`'s properties the webhook schema's `definition` knows (REST objects carry more). */
function known(definition: string, value: Json): Json {
  const props = schemas().doc.definitions[definition]?.properties ?? {};
  return Object.fromEntries(Object.entries(value).filter(([key]) => key in props));
}

const user = (u: Json) => known("user", u);

function repository(rest: Json): Json {
  return {
    ...known("repository", rest),
    owner: user(rest.owner as Json),
    // Always in a webhook's repository; the REST object leaves them out when unset.
    custom_properties: {},
    topics: (rest.topics as unknown) ?? [],
  };
}

function reactions(url: string): Json {
  const zero = { "+1": 0, "-1": 0, laugh: 0, confused: 0, heart: 0, hooray: 0, eyes: 0, rocket: 0 };
  return { url, total_count: 0, ...zero };
}

export interface SentDelivery {
  id: string;
  status: number;
  response: Response;
}

export interface WebhookSender {
  /** `issue_comment` created, for a comment added with the stand-in's `addComment`. */
  comment(comment: IssueCommentRecord, delivery?: string): Promise<SentDelivery>;
  /** `pull_request_review` submitted, for a review added with `addReview`. */
  review(review: ReviewRecord, delivery?: string): Promise<SentDelivery>;
  /** Any event, as given: `signature` replaces the right one (null sends none). */
  send(
    event: string,
    payload: unknown,
    options?: { delivery?: string; signature?: string | null },
  ): Promise<SentDelivery>;
}

/** Deliveries to `url` (the Worker's `POST /github/webhook`) signed with `secret`. */
export function webhookSender(github: GitHubStandIn, url: string, secret: string): WebhookSender {
  const octokit = new Octokit({ auth: github.token, baseUrl: github.apiUrl });
  const urls = { api: github.apiUrl, web: github.webUrl };
  const pullAndRepo = async (owner: string, repo: string, number: number) => {
    const [{ data: pull }, { data: repoJson }] = await Promise.all([
      octokit.rest.pulls.get({ owner, repo, pull_number: number }),
      octokit.rest.repos.get({ owner, repo }),
    ]);
    return { pull: pull as unknown as Json, repo: repository(repoJson as unknown as Json) };
  };
  const send: WebhookSender["send"] = async (event, payload, options = {}) => {
    const body = JSON.stringify(payload);
    const id = options.delivery ?? randomUUID();
    const signature =
      options.signature === undefined
        ? `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`
        : options.signature;
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "GitHub-Hookshot/stand-in",
        "x-github-event": event,
        "x-github-delivery": id,
        "x-github-hook-id": "1",
        ...(signature === null ? {} : { "x-hub-signature-256": signature }),
      },
      body,
    });
    return { id, status: response.status, response };
  };
  const checked = (name: string, payload: Json): Json => {
    const problems = checkWebhookPayload(name, payload);
    if (problems.length > 0) throw new Error(`not a payload GitHub sends (${name}): ${problems.join("; ")}`);
    return payload;
  };
  return {
    send,
    async comment(comment, delivery) {
      const { pull, repo } = await pullAndRepo(comment.owner, comment.repo, comment.number);
      const { data: listed } = await octokit.rest.issues.listComments({
        owner: comment.owner,
        repo: comment.repo,
        issue_number: comment.number,
        per_page: 100,
      });
      const rest = listed.find((c) => c.id === comment.id) as unknown as Json | undefined;
      if (!rest)
        throw new Error(`comment ${comment.id} is not on ${comment.owner}/${comment.repo}#${comment.number}`);
      const payload = checked("issue_comment$created", {
        action: "created",
        issue: issueOf(pull),
        comment: {
          ...known("issue-comment", rest),
          user: user(rest.user as Json),
          body: comment.body,
          author_association: comment.association,
          performed_via_github_app: null,
          reactions: reactions(`${rest.url}/reactions`),
        },
        repository: repo,
        sender: user(rest.user as Json),
      });
      return send("issue_comment", payload, delivery === undefined ? {} : { delivery });
    },
    async review(review, delivery) {
      const { pull, repo } = await pullAndRepo(review.owner, review.repo, review.number);
      const author = user(userJson(urls, review.user));
      const html = `${pull.html_url}#pullrequestreview-${review.id}`;
      const payload = checked("pull_request_review$submitted", {
        action: "submitted",
        review: {
          id: review.id,
          node_id: Buffer.from(`PRR:${review.id}`).toString("base64").replace(/=+$/, ""),
          user: author,
          body: review.body,
          commit_id: review.commitId,
          submitted_at: review.submittedAt,
          state: review.state.toLowerCase(),
          html_url: html,
          pull_request_url: pull.url,
          author_association: review.association,
          _links: { html: { href: html }, pull_request: { href: pull.url } },
        },
        pull_request: simplePull(pull),
        repository: repo,
        sender: author,
      });
      return send("pull_request_review", payload, delivery === undefined ? {} : { delivery });
    },
  };
}

/** The PR as the issue it also is (`issue` in `issue_comment`). */
function issueOf(pull: Json): Json {
  const issueUrl = String(pull.issue_url);
  return {
    url: issueUrl,
    repository_url: issueUrl.replace(/\/issues\/\d+$/, ""),
    labels_url: `${issueUrl}/labels{/name}`,
    comments_url: `${issueUrl}/comments`,
    events_url: `${issueUrl}/events`,
    html_url: pull.html_url,
    id: pull.id,
    node_id: pull.node_id,
    number: pull.number,
    title: pull.title,
    user: user(pull.user as Json),
    labels: [],
    state: pull.state,
    locked: pull.locked,
    assignee: null,
    assignees: [],
    milestone: null,
    comments: 0,
    created_at: pull.created_at,
    updated_at: pull.updated_at,
    closed_at: pull.closed_at,
    author_association: pull.author_association,
    active_lock_reason: null,
    body: pull.body,
    reactions: reactions(`${issueUrl}/reactions`),
    pull_request: {
      url: pull.url,
      html_url: pull.html_url,
      diff_url: pull.diff_url,
      patch_url: pull.patch_url,
      merged_at: pull.merged_at,
    },
  };
}

/** `simple-pull-request` (in `pull_request_review`): the REST pull request without its stats. */
function simplePull(pull: Json): Json {
  const side = (s: Json) => ({
    label: s.label,
    ref: s.ref,
    sha: s.sha,
    user: user(s.user as Json),
    repo: repository(s.repo as Json),
  });
  return {
    ...known("simple-pull-request", pull),
    user: user(pull.user as Json),
    head: side(pull.head as Json),
    base: side(pull.base as Json),
  };
}
