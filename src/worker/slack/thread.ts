/**
 * The Slack thread of one job, driven by its JobRoom: each logged event is handed to `notify`,
 * which never waits and never throws — a failed Slack call never fails the job. Calls run one at a
 * time, in order. The parent is edited at most once every 2 s with whatever the log says by then
 * (steps coalesced); a 429 stops every call until Retry-After has passed. When the bot cannot post
 * in the channel, the command's response_url carries the parent and the outcome instead.
 */
import type { LoggedEvent } from "../../protocol/events";
import type { JobRecord, SlackTarget } from "../jobs/log";
import { log } from "../log";
import { parentMessage } from "./blocks";
import { SlackCallError, type SlackCalls } from "./calls";
import { type MilestoneMemory, milestoneReply } from "./milestones";
import { foldView, type ThreadView } from "./view";

/** Slack asks apps to edit a message no more often than this. */
export const MIN_UPDATE_INTERVAL_MS = 2_000;
const MAX_ATTEMPTS = 4;

/** Where the parent went: a real thread, or (bot not allowed in the channel) the response_url. */
export type ThreadState = { mode: "thread"; channel: string; ts: string } | { mode: "response_url" };

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
      this.enqueue("post parent", () => this.postParent());
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

  private async postParent(): Promise<void> {
    if (this.io.load()) return;
    const { channel, responseUrl } = this.io.job.slack;
    const { view, seq } = this.render();
    const message = parentMessage(view, this.io.githubUrl, Date.now());
    this.renderedSeq = seq;
    try {
      const ts = await this.call(() => this.io.slack.post({ channel, ...message }));
      this.io.save({ mode: "thread", channel, ts });
      this.lastUpdateAt = Date.now();
    } catch (error) {
      const why =
        error instanceof SlackCallError && error.failure.kind === "cannot_post"
          ? "I can't post in this channel (invite me to it for a live thread)"
          : "Slack did not take my message";
      this.io.save({ mode: "response_url" });
      const notice = `:information_source: ${why}, so progress is not shown here; I'll post the outcome below.`;
      await this.call(() =>
        this.io.slack.respond(responseUrl, {
          response_type: "in_channel",
          text: message.text,
          blocks: [...message.blocks, { type: "context", elements: [{ type: "mrkdwn", text: notice }] }],
        }),
      );
    }
  }

  private async reply(text: string, final: boolean): Promise<void> {
    const state = this.io.load();
    if (state?.mode === "thread") {
      await this.call(() => this.io.slack.post({ channel: state.channel, threadTs: state.ts, text }));
    } else if (state?.mode === "response_url" && final) {
      // response_url takes five posts in 30 minutes: only the outcome goes there.
      const url = this.io.job.slack.responseUrl;
      await this.call(() =>
        this.io.slack.respond(url, { response_type: "in_channel", replace_original: false, text }),
      );
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
    const message = parentMessage(view, this.io.githubUrl, now);
    this.renderedSeq = seq;
    try {
      if (state.mode === "thread") {
        await this.io.slack.update({ channel: state.channel, ts: state.ts, ...message });
      } else if (view.status !== "running") {
        const url = this.io.job.slack.responseUrl;
        await this.io.slack.respond(url, { replace_original: true, ...message });
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
