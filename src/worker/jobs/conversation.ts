/**
 * The JobRoom's side of its PR's conversation: the PullRoom (followups/pull-room.ts) that orders
 * the PR's turns and runs one at a time. A first turn registers the PR it opened; a follow-up
 * joins the queue and is started by the PullRoom; every turn tells it when it ended.
 */
import { pullRoom } from "../followups/pull-room";
import { log } from "../log";

export type Conversation = ReturnType<typeof conversationOf>;

/** The conversation of PR `number` on `repo`. */
export function conversationOf(env: Env, repo: string, number: number) {
  return pullRoom(env, repo, number);
}

/** What joining needs of the room: start the job now, say it waits, or end it. */
export interface Joiner {
  jobId: string;
  start(): Promise<void>;
  /** Still not started (the PullRoom may have released it while we asked). */
  queued(): boolean;
  waiting(message: string): void;
  fail(message: string): Promise<void>;
}

/** A follow-up joins its PR's queue: it starts now, or when the PullRoom releases it. */
export async function joinConversation(conversation: Conversation, joiner: Joiner): Promise<void> {
  try {
    const { run, after } = await conversation.submit(joiner.jobId);
    if (run) return await joiner.start();
    if (joiner.queued()) joiner.waiting(`Waiting for the previous turn (job ${after}) to finish`);
  } catch (error) {
    log.error("a follow-up could not join its pull request's conversation", { job_id: joiner.jobId, error });
    await joiner.fail("The follow-up could not be queued behind its pull request's other turns.");
  }
}

/** Tells the conversation a turn ended; its alarm asks again should this call be lost. */
export function turnEnded(conversation: Conversation | null, jobId: string): void {
  conversation?.ended(jobId).catch((error: unknown) => {
    log.error("could not tell the pull request's conversation that a turn ended", { job_id: jobId, error });
  });
}
