/**
 * The job id of a `/pr` is derived from the command's trigger_id, and that of a mention from its
 * Events API event_id, so Slack's retries and a double submit (same trigger_id, same event_id)
 * name the same JobRoom, which starts a job only once (derived-job-id.ts, under the signing secret).
 */
import { derivedJobId } from "../derived-job-id";

/** The job id of the command `teamId`/`triggerId`. */
export function commandJobId(signingSecret: string, teamId: string, triggerId: string): Promise<string> {
  return derivedJobId(signingSecret, `pr:${teamId}:${triggerId}`);
}

/** The same for an Events API delivery (`event_id` is unique per workspace and kept by retries). */
export function eventJobId(signingSecret: string, teamId: string, eventId: string): Promise<string> {
  return derivedJobId(signingSecret, `event:${teamId}:${eventId}`);
}
