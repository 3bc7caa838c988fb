/**
 * A Bolt Receiver for fetch-style runtimes (workerd). It verifies Slack's signature on the raw
 * body, hands the event to Bolt, and answers the HTTP request the moment the listener calls
 * `ack()` — or after a 3-second guard, Slack's own limit. Whatever the listener does after acking
 * continues in `waitUntil`, so it must be quick (the durable work is a Workflow).
 *
 * Nothing between the signature check and the ack leaves the isolate. Replays (a captured request
 * sent again inside Slack's five-minute window) are the listeners' concern, after the ack: a `/pr`
 * names its job by its trigger_id (a mention by its event_id), so a replay meets the job it already
 * started; a listener whose effect is not idempotent asks the replay guard (guard.ts) with
 * `context.requestSignature`. Slack's retry headers reach Bolt's `context.retryNum`/`retryReason`.
 * One receiver (and App) serves every request of an isolate: nothing per request is kept on it.
 */
import { type App, type Receiver, type ReceiverEvent, ReceiverMultipleAckError } from "@slack/bolt";
import { log } from "../log";
import { parseSlackBody, readRawBody } from "./payload";
import { signingKey, verifySlackSignature } from "./signature";

/** Slack gives up on a response after 3 s; we answer by then whatever the listener is doing. */
export const ACK_GUARD_MS = 3_000;

export interface FetchReceiverOptions {
  signingSecret: string;
  ackGuardMs?: number;
}

/** What every listener finds in Bolt's `context` (the receiver's customProperties). */
export interface RequestContext {
  /** The Worker's public origin, as this request reached it. */
  origin: string;
  /** The verified `X-Slack-Signature`: the key of this exact request for the replay guard. */
  requestSignature: string;
}

/** The RequestContext inside a listener's `context`; throws if this receiver did not deliver it. */
export function requestContext(context: Record<string, unknown>): RequestContext {
  const { origin, requestSignature } = context;
  if (typeof origin !== "string" || typeof requestSignature !== "string") {
    throw new Error("slack: listener context lacks the receiver's request properties");
  }
  return { origin, requestSignature };
}

/** Where work that outlives the response goes: the Worker's `ExecutionContext`. */
export interface Lifetime {
  waitUntil(promise: Promise<unknown>): void;
}

export class FetchReceiver implements Receiver {
  private app: App | null = null;
  /** Imported on first use, then shared by every request: the secret does not change under us. */
  private key: Promise<CryptoKey> | null = null;

  constructor(private readonly options: FetchReceiverOptions) {}

  init(app: App): void {
    this.app = app;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  /** Answers one request from Slack; `origin` reaches the listeners as `context.origin`. */
  async handle(request: Request, lifetime: Lifetime, origin: string): Promise<Response> {
    const app = this.app;
    if (!app) throw new Error("FetchReceiver used before App.init");
    const raw = await readRawBody(request);
    if (raw === null) return text(413, "Request body too large.");
    const body = parseSlackBody(raw, request.headers.get("content-type") ?? "");
    if (body === null) return text(400, "Unreadable request body.");
    // Slack's certificate check for slash commands: answered without doing anything.
    if (body.ssl_check !== undefined) return new Response(null, { status: 200 });
    // An empty secret is refused by the check itself, so it is never imported.
    const secret = this.options.signingSecret;
    if (secret) this.key ??= signingKey(secret);
    const check = await verifySlackSignature(this.key ? await this.key : secret, raw, request.headers);
    if (!check.ok) {
      log.warn("slack: refused a request", { reason: check.reason });
      return text(401, "Invalid request signature.");
    }
    // The Events API's handshake when the request URL is saved; signed like every request.
    if (body.type === "url_verification") return Response.json({ challenge: body.challenge });
    // Slack telling us it is dropping events for a while: nothing to do but note it.
    if (body.type === "app_rate_limited") {
      log.warn("slack: Slack is rate limiting this app's events", { minute: body.minute_rate_limited });
      return new Response(null, { status: 200 });
    }
    const properties: RequestContext = { origin, requestSignature: check.signature };
    return this.dispatch(app, body, request.headers, lifetime, properties);
  }

  private async dispatch(
    app: App,
    body: Record<string, unknown>,
    headers: Headers,
    lifetime: Lifetime,
    properties: RequestContext,
  ): Promise<Response> {
    let acked = false;
    let answer: (response: Response) => void = () => {};
    const answered = new Promise<Response>((resolve) => {
      answer = resolve;
    });
    const retryNum = headers.get("x-slack-retry-num");
    const event: ReceiverEvent = {
      body,
      customProperties: { ...properties },
      ...(retryNum !== null && /^\d+$/.test(retryNum) ? { retryNum: Number(retryNum) } : {}),
      ...(headers.has("x-slack-retry-reason")
        ? { retryReason: headers.get("x-slack-retry-reason") ?? "" }
        : {}),
      ack: async (response?: unknown) => {
        if (acked) throw new ReceiverMultipleAckError();
        acked = true;
        answer(ackResponse(response));
        // Let the response go out before the listener's follow-up work takes the thread.
        await new Promise((resolve) => setTimeout(resolve, 0));
      },
    };
    const processing = app.processEvent(event).then(
      () => {
        if (!acked) answer(text(404, "No handler for this request."));
      },
      (error: unknown) => {
        log.error("slack: listener failed", { error });
        // Our listeners ack first, so what fails before an ack is Bolt reading a payload it cannot
        // use (a signed but malformed body): the request's fault, not ours.
        if (!acked) answer(text(400, "The request could not be processed."));
      },
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const guard = new Promise<Response>((resolve) => {
      timer = setTimeout(() => {
        log.warn("slack: no ack within the guard; answering empty so Slack does not time out");
        resolve(new Response(null, { status: 200 }));
      }, this.options.ackGuardMs ?? ACK_GUARD_MS);
    });
    const response = await Promise.race([answered, guard]);
    clearTimeout(timer);
    lifetime.waitUntil(processing);
    return response;
  }
}

/** What `ack(x)` sends: nothing, Slack-rendered text, or a message object as JSON. */
function ackResponse(response: unknown): Response {
  if (response === undefined || response === null || response === "") {
    return new Response(null, { status: 200 });
  }
  if (typeof response === "string") return text(200, response);
  return Response.json(response);
}

function text(status: number, body: string): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}
