/**
 * Wiring a JobRoom to its Slack thread: the thread reads the room's log and keeps where its parent
 * message went in the room's own storage, so a restarted room keeps editing the same message.
 */
import { slackClient } from "../deps";
import { getValue, type JobRecord, readEvents, setValue } from "../jobs/log";
import { slackCalls } from "./calls";
import { SlackThread, type ThreadState } from "./thread";

const STATE_KEY = "slackThread";

/** The Slack thread for `job`, or null when the job did not come from Slack. */
export function openSlackThread(env: Env, sql: SqlStorage, job: JobRecord): SlackThread | null {
  const slack = job.slack;
  if (!slack) return null;
  return new SlackThread({
    job: { ...job, slack },
    events: () => readEvents(sql, 0),
    load: () => getValue<ThreadState>(sql, STATE_KEY),
    save: (state) => setValue(sql, STATE_KEY, state),
    slack: slackCalls(slackClient(env)),
    githubUrl: env.GITHUB_URL,
  });
}
