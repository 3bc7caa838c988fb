/**
 * The Slack thread as a projection of a job's log (jobs/projection.ts): built for jobs that came
 * from `/pr`, fed each new event by the JobRoom, keeping where its parent message went in the
 * storage the room lends it, so a restarted room keeps editing the same message.
 */
import { slackClient } from "../deps";
import type { SlackTarget } from "../jobs/log";
import type { ProjectionFactory } from "../jobs/projection";
import { slackCalls } from "./calls";
import { SlackThread, type ThreadState } from "./thread";

const STATE_KEY = "slackThread";

/**
 * The Slack thread a later turn of job `jobId`'s PR reports into when it brings none of its own
 * (a follow-up asked on GitHub): that job's thread, its parent message taken over; null when the
 * job had no thread (it came from the API, or its parent went out through the response_url).
 */
export async function threadOfJob(env: Env, jobId: string): Promise<SlackTarget | null> {
  const room = env.JOB_ROOM.get(env.JOB_ROOM.idFromName(jobId));
  const job = await room.job();
  const stored = job?.slack ? await room.projected(STATE_KEY) : null;
  // Written by this module's projection only (below), so its shape is ThreadState.
  const state = stored === null ? null : (JSON.parse(stored) as ThreadState);
  if (!job?.slack || state?.mode !== "thread") return null;
  return {
    channel: state.channel,
    responseUrl: "",
    threadTs: state.threadTs ?? state.ts,
    parentTs: state.ts,
  };
}

export const slackProjection: ProjectionFactory = ({ env, job, events, load, save }) => {
  const slack = job.slack;
  if (!slack) return null;
  return new SlackThread({
    job: { ...job, slack },
    events,
    load: () => load<ThreadState>(STATE_KEY),
    save: (state) => save(STATE_KEY, state),
    slack: slackCalls(slackClient(env)),
    githubUrl: env.GITHUB_URL,
  });
};
