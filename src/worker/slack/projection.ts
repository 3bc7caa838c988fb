/**
 * The Slack thread as a projection of a job's log (jobs/projection.ts): built for jobs that came
 * from `/pr`, fed each new event by the JobRoom, keeping where its parent message went in the
 * storage the room lends it, so a restarted room keeps editing the same message.
 */
import { slackClient } from "../deps";
import type { ProjectionFactory } from "../jobs/projection";
import { slackCalls } from "./calls";
import { SlackThread, type ThreadState } from "./thread";

const STATE_KEY = "slackThread";

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
