/**
 * What a follow-up's agent is told of its PR's conversation: the earlier turns, read from their
 * JobRooms, and the PR's current diff, read from the follow-up's fresh clone of the branch (from
 * the commit the first turn started at). Read once, as a durable step after the clone; bounded,
 * so the step's result and the prompt stay small however long the conversation gets.
 */
import type { JobRecord } from "../jobs/log";
import type { SandboxService } from "../sandbox";
import { pullRoom } from "./pull-room";
import type { FollowUpHistory, TurnRecord } from "./types";

/** Earlier turns kept (the newest); older ones are left out of the prompt, not the PR body. */
const MAX_TURNS = 20;
const MAX_TEXT = 4_000;
/** The diff's share of the step result; the prompt bounds it again (prompts.ts). */
const MAX_DIFF = 64 * 1024;

export async function readHistory(
  env: Env,
  job: JobRecord,
  sandboxes: SandboxService,
): Promise<FollowUpHistory | undefined> {
  const followUp = job.followUp;
  if (!followUp) return undefined;
  const turns = await pullRoom(env, job.repo, followUp.pr.number).turns();
  const at = turns.indexOf(job.jobId);
  const earlier = (at < 0 ? turns : turns.slice(0, at)).slice(-MAX_TURNS);
  const records = await Promise.all(
    earlier.map((id) => env.JOB_ROOM.get(env.JOB_ROOM.idFromName(id)).turn()),
  );
  const { diff } = await sandboxes.diff(job.jobId, followUp.baseSha);
  return {
    turns: records.flatMap((r) => (r ? [bounded(r)] : [])),
    diff:
      diff.length > MAX_DIFF ? `${diff.slice(0, MAX_DIFF)}\n… (diff cut at ${MAX_DIFF} characters)\n` : diff,
    title: followUp.pr.title,
  };
}

function bounded(turn: TurnRecord): TurnRecord {
  const cut = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text);
  return { ...turn, prompt: cut(turn.prompt), summary: turn.summary === null ? null : cut(turn.summary) };
}
