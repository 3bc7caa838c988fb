/**
 * The Slack thread of one job, driven by its JobRoom: each logged event is handed to `notify`,
 * which never waits and never throws — a failed Slack call never fails the job. Calls run one at a
 * time, in order. The parent is edited at most once every 2 s with whatever the log says by then
 * (steps coalesced); a 429 stops every call until Retry-After has passed. When the bot cannot post
 * in the channel, the command's response_url carries the parent and the outcome instead (a
 * mention has none: then only the log tells). The parent carries the job's id as metadata.
 *
 * Where the parent goes (SlackTarget): a new message in the channel (`/pr`); the first reply in a
 * mention's thread (`threadTs`); or, for a follow-up, the thread's existing parent (`parentTs`),
 * which this turn takes over — edited to show it, its Cancel button and its id — once it leaves
 * the queue, so a turn still waiting for the previous one does not fight it over the message.
 */
import type { LoggedEvent } from "../../protocol/events";
import type { JobRecord, SlackTarget } from "../jobs/log";
import { log } from "../log";
import { parentMessage } from "./blocks";
import { SlackCallError, type SlackCalls } from "./calls";
import { jobMetadata } from "./job-metadata";
import { type MilestoneMemory, milestoneReply } from "./milestones";
import { foldView, type ThreadView } from "./view";

/** Slack asks apps to edit a message no more often than this. */
export const MIN_UPDATE_INTERVAL_MS = 2_000;
const MAX_ATTEMPTS = 4;

/**
 * Where the parent went: a message `ts` (replies go to `threadTs`, else to its own thread), or (bot
 * not allowed in the channel) the response_url.
 */
export type ThreadState =
  | { mode: "thread"; channel: string; ts: string; threadTs?: string }
  | { mode: "response_url" };

export interface ThreadIO {
  job: JobRecord & { slack: SlackTarget };
  /** The whole log so far. */
  events(): LoggedEvent[];
  load(): ThreadState | null;
  save(state: ThreadState): void;
  slack: SlackCalls;
  githubUrl: string;
}

export class SlackThread {
  private queue: Promise<void> = Promise.resolve();
  private lastUpdateAt = 0;
  private blockedUntil = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private dirty = false;
  /** The last log position the parent showed; an edit with nothing new is skipped. */
  private renderedSeq = 0;
  private readonly memory: MilestoneMemory = { testsPassed: null };

  constructor(private readonly io: ThreadIO) {}

  /** Takes one new event of the log; returns at once. */
  notify(event: LoggedEvent): void {
    if (event.type === "job") {
      this.enqueue("open thread", () => (this.io.job.slack.parentTs ? this.takeOver() : this.postParent()));
      return;
    }
    this.enqueue("reply", async () => {
      const text = milestoneReply(event, this.memory, () => this.view());
      if (text) await this.reply(text, event.type === "done");
    });
    this.dirty = true;
    this.schedule();
  }

  private view(): ThreadView {
    return foldView(this.io.job, this.io.events());
  }

  /** The view and the log position it reflects. */
  private render(): { view: ThreadView; seq: number } {
    const events = this.io.events();
    return { view: foldView(this.io.job, events), seq: events.at(-1)?.seq ?? 0 };
  }

  private enqueue(what: string, task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((error: unknown) => {
      log.error("slack thread update failed", { job_id: this.io.job.jobId, what, error });
    });
  }

  /** A follow-up: the thread and its parent exist; say it was heard, then edit the parent (flush). */
  private async takeOver(): Promise<void> {
    if (this.io.load()) return;
    const { channel, parentTs, threadTs } = this.io.job.slack;
    if (!parentTs) return;
    this.io.save({ mode: "thread", channel, ts: parentTs, threadTs: threadTs ?? parentTs });
    const page = `${this.io.job.origin}/jobs/${this.io.job.jobId}`;
    await this.reply(
      `:arrow_right_hook: Follow-up accepted (<${page}|live page>); my first message in this thread shows the latest turn.`,
      false,
    );
    this.dirty = true;
    this.schedule();
  }

  private async postParent(): Promise<void> {
    if (this.io.load()) return;
    const { channel, threadTs } = this.io.job.slack;
    const { view, seq } = this.render();
    const message = parentMessage(view, this.io.githubUrl, Date.now());
    this.renderedSeq = seq;
    try {
      const ts = await this.call(() =>
        this.io.slack.post({
          channel,
          ...message,
          metadata: jobMetadata(view.jobId),
          ...(threadTs ? { threadTs } : {}),
        }),
      );
      this.io.save({ mode: "thread", channel, ts, ...(threadTs ? { threadTs } : {}) });
      this.lastUpdateAt = Date.now();
    } catch (error) {
      const why =
        error instanceof SlackCallError && error.failure.kind === "cannot_post"
          ? "I can't post in this channel (invite me to it for a live thread)"
          : "Slack did not take my message";
      this.io.save({ mode: "response_url" });
      if (!this.io.job.slack.responseUrl) {
        // A mention has no response_url: nowhere else to say it, the job page and the log remain.
        log.warn("slack: the job's parent could not be posted", { job_id: this.io.job.jobId, error });
        return;
      }
      const notice = `:information_source: ${why}, so progress is not shown here; I'll post the outcome below.`;
      await this.respond({
        response_type: "in_channel",
        text: message.text,
        blocks: [...message.blocks, { type: "context", elements: [{ type: "mrkdwn", text: notice }] }],
      });
    }
  }

  /** A POST to the job's response_url; nothing when it has none (a mention, a follow-up). */
  private async respond(body: Record<string, unknown>): Promise<void> {
    const url = this.io.job.slack.responseUrl;
    if (url) await this.call(() => this.io.slack.respond(url, body));
  }

  private async reply(text: string, final: boolean): Promise<void> {
    const state = this.io.load();
    if (state?.mode === "thread") {
      const threadTs = state.threadTs ?? state.ts;
      await this.call(() => this.io.slack.post({ channel: state.channel, threadTs, text }));
    } else if (state?.mode === "response_url" && final) {
      // response_url takes five posts in 30 minutes: only the outcome goes there.
      await this.respond({ response_type: "in_channel", replace_original: false, text });
    }
  }

  /** Arms one timer for the next allowed edit of the parent, if none is armed. */
  private schedule(): void {
    if (this.timer !== null) return;
    const now = Date.now();
    const wait = Math.max(0, this.lastUpdateAt + MIN_UPDATE_INTERVAL_MS - now, this.blockedUntil - now);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.enqueue("update parent", () => this.flush());
    }, wait);
  }

  private async flush(): Promise<void> {
    if (!this.dirty) return;
    const now = Date.now();
    if (now < this.lastUpdateAt + MIN_UPDATE_INTERVAL_MS || now < this.blockedUntil) {
      this.schedule();
      return;
    }
    const state = this.io.load();
    if (!state) return; // The parent is not posted yet; posting it renders the latest state.
    this.dirty = false;
    const { view, seq } = this.render();
    if (seq === this.renderedSeq) return;
    // A follow-up waiting for the previous turn leaves the parent to it (the next event comes back).
    if (this.io.job.slack.parentTs && view.status === "running" && view.phase === "queued") return;
    const message = parentMessage(view, this.io.githubUrl, now);
    this.renderedSeq = seq;
    try {
      if (state.mode === "thread") {
        const metadata = jobMetadata(view.jobId);
        await this.io.slack.update({ channel: state.channel, ts: state.ts, ...message, metadata });
      } else if (view.status !== "running" && this.io.job.slack.responseUrl) {
        await this.io.slack.respond(this.io.job.slack.responseUrl, { replace_original: true, ...message });
      }
    } catch (error) {
      if (!(error instanceof SlackCallError && error.failure.kind === "rate_limited")) throw error;
      this.blockedUntil = Date.now() + error.failure.retryAfterMs;
      this.dirty = true;
      this.renderedSeq = 0;
    } finally {
      this.lastUpdateAt = Date.now();
      if (this.dirty) this.schedule();
    }
  }

  /** Runs one call after any Retry-After has passed, trying again after each 429. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const wait = this.blockedUntil - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      try {
        return await fn();
      } catch (error) {
        if (
          !(error instanceof SlackCallError && error.failure.kind === "rate_limited") ||
          attempt >= MAX_ATTEMPTS
        ) {
          throw error;
        }
        this.blockedUntil = Date.now() + error.failure.retryAfterMs;
      }
    }
  }
}
