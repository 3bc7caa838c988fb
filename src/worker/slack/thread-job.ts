/**
 * Which job a Slack thread belongs to, read from the thread itself: the first message our app
 * posted there with the job mark (job-metadata.ts) — the thread's parent for `/pr`, the first
 * reply for a job started by a mention. One conversations.replies call of at most 15 messages
 * (Slack's ceiling for apps outside the Marketplace); the mark sits at the top of the thread.
 */
import { webApi } from "@slack/bolt";
import { markedJobId } from "./job-metadata";

const SCAN_MESSAGES = 15;

export type ThreadJob =
  /** `parentTs`: the marked message, which the thread's next turn takes over. */
  | { kind: "job"; jobId: string; parentTs: string }
  | { kind: "none" }
  /** Slack would not show us the thread; `reason` is for the user. */
  | { kind: "unreadable"; reason: string };

/** The job of thread `threadTs` in `channel`, as posted by app `appId`. */
export async function jobOfThread(
  client: webApi.WebClient,
  channel: string,
  threadTs: string,
  appId: string,
): Promise<ThreadJob> {
  try {
    const result = await client.conversations.replies({
      channel,
      ts: threadTs,
      limit: SCAN_MESSAGES,
      include_all_metadata: true,
    });
    for (const message of result.messages ?? []) {
      const jobId = markedJobId(message, appId);
      if (jobId && message.ts) return { kind: "job", jobId, parentTs: message.ts };
    }
    return { kind: "none" };
  } catch (error) {
    if (!(error instanceof webApi.WebAPIPlatformError)) throw error;
    const code = error.data.error;
    // The thread's parent is gone (or cannot be threaded): no job to continue there.
    if (code === "thread_not_found") return { kind: "none" };
    if (code === "missing_scope") {
      const needed = "needed" in error.data && typeof error.data.needed === "string" ? error.data.needed : "";
      return {
        kind: "unreadable",
        reason: `this app may not read the thread (missing the \`${needed || "channels:history"}\` scope: reinstall it from manifest.json)`,
      };
    }
    return { kind: "unreadable", reason: `Slack would not show me this thread (\`${code}\`)` };
  }
}
