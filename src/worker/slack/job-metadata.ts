/**
 * The mark a job's parent message carries: Slack message metadata naming the job it shows (the
 * latest turn). A mention in the thread reads it back (conversations.replies with
 * include_all_metadata), so the thread itself says which job it belongs to: no index to keep.
 * Only a message our own app posted counts: any app may attach metadata of this type.
 */
import type { types } from "@slack/bolt";

export const JOB_EVENT_TYPE = "coding_agent_job";

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The metadata of the parent of job `jobId`. */
export function jobMetadata(jobId: string): types.MessageMetadata {
  return { event_type: JOB_EVENT_TYPE, event_payload: { job_id: jobId } };
}

/** A message as conversations.replies returns it: the fields this reads, all optional. */
export interface ThreadMessage {
  ts?: string;
  app_id?: string;
  bot_profile?: { app_id?: string };
  metadata?: { event_type?: string; event_payload?: object };
}

/** The job id `message` is marked with, when app `appId` posted it; null otherwise. */
export function markedJobId(message: ThreadMessage, appId: string): string | null {
  const poster = message.app_id ?? message.bot_profile?.app_id;
  if (!appId || poster !== appId) return null;
  if (message.metadata?.event_type !== JOB_EVENT_TYPE) return null;
  const payload = message.metadata.event_payload;
  const jobId = payload && "job_id" in payload ? payload.job_id : null;
  return typeof jobId === "string" && JOB_ID.test(jobId) ? jobId : null;
}
