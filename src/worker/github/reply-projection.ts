/**
 * The GitHub reply as a projection of a job's log (jobs/projection.ts): for jobs a PR comment or
 * review started (`JobRecord.githubReply`), `done` posts one comment on the PR (reply-text.ts).
 * At most one, whatever happens: the room's storage says when it was posted, and a post that may
 * have landed (tried, no answer) is looked for by its marker before another is made, so neither a
 * second `done` notification nor a restarted room posts twice. A failed post is retried a few
 * times; nothing here throws into the room.
 */
import type { LoggedEvent } from "../../protocol/events";
import { deps } from "../deps";
import type { GitHubReply, TurnRecord } from "../followups/types";
import type { JobRecord } from "../jobs/log";
import type { Projection, ProjectionFactory } from "../jobs/projection";
import { log } from "../log";
import { type GitHubClient, gitHubFor } from "./client";
import { replyMarker, replyText } from "./reply-text";
import { parseRepo, type RepoRef } from "./repo";

const STATE_KEY = "githubReply";
/** Waits before the retries of a failed post. */
const RETRY_DELAYS_MS = [1_000, 5_000, 20_000];

interface ReplyState {
  /** A post was sent; it may have landed even if no answer came back. */
  tried: boolean;
  /** The reply's comment id, once GitHub answered (or the marker found it). */
  commentId?: number;
}

export const githubReplyProjection: ProjectionFactory = ({ env, job, events, turn, load, save }) => {
  const reply = job.githubReply;
  if (!reply) return null;
  return new ReplyProjection(env, job, reply, {
    events,
    turn,
    load: () => load<ReplyState>(STATE_KEY),
    save: (state) => save(STATE_KEY, state),
  });
};

interface ReplySources {
  events(): LoggedEvent[];
  turn(): TurnRecord | null;
  load(): ReplyState | null;
  save(state: ReplyState): void;
}

class ReplyProjection implements Projection {
  private posting = false;

  constructor(
    private readonly env: Env,
    private readonly job: JobRecord,
    private readonly reply: GitHubReply,
    private readonly sources: ReplySources,
  ) {}

  notify(event: LoggedEvent): void {
    if (event.type !== "done" || this.posting) return;
    this.posting = true;
    void this.post().finally(() => {
      this.posting = false;
    });
  }

  private async post(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.postOnce();
        return;
      } catch (error) {
        const delay = RETRY_DELAYS_MS[attempt];
        log.error("github reply: the comment could not be posted", {
          job_id: this.job.jobId,
          retry: delay === undefined ? "no more" : `in ${delay} ms`,
          error,
        });
        if (delay === undefined) return;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async postOnce(): Promise<void> {
    const state = this.sources.load();
    if (state?.commentId !== undefined) return;
    const body = replyText(this.job, this.reply, this.sources.events(), this.sources.turn());
    if (body === null) return;
    const repo = parseRepo(this.job.repo, this.env.GITHUB_URL);
    if (typeof repo === "string") throw new Error(`the job's repository ${this.job.repo} ${repo}`);
    const client = await gitHubFor(deps(this.env).github, repo);
    if (state?.tried) {
      const found = await this.findPosted(client, repo);
      if (found !== undefined) {
        this.sources.save({ tried: true, commentId: found });
        return;
      }
    }
    this.sources.save({ tried: true });
    const { data } = await client.rest.issues.createComment({
      owner: repo.owner,
      repo: repo.repo,
      issue_number: this.reply.number,
      body,
    });
    this.sources.save({ tried: true, commentId: data.id });
  }

  /** The id of this job's reply if an earlier post landed: comments since the job began, by marker. */
  private async findPosted(client: GitHubClient, repo: RepoRef): Promise<number | undefined> {
    const marker = replyMarker(this.job.jobId);
    const comments = await client.paginate(client.rest.issues.listComments, {
      owner: repo.owner,
      repo: repo.repo,
      issue_number: this.reply.number,
      since: this.job.createdAt,
      per_page: 100,
    });
    return comments.find((c) => c.body?.includes(marker))?.id;
  }
}
