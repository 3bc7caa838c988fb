/**
 * The job's durable progress in its JobRoom's SQLite storage: what the setup found (base branch,
 * clone head, repo context) and the agent's state (mini-swe-agent's: the message list and the run's
 * record). Messages are append-only rows, so saving a turn writes only what the turn added and no
 * stored value grows with the run. A new Workflow attempt loads this and resumes at the next turn.
 */
import type { Message } from "../agent/model";
import type { RepoContext } from "../agent/repo-context";
import type { AgentState, TurnSave } from "../agent/state";
import type { EnvironmentPlan } from "../environment/plan";
import type { FollowUpHistory } from "../followups/types";

export type { AgentState, TurnSave } from "../agent/state";

/** What the attempt learned before the agent started; fixed for the job once saved. */
export interface JobSetup {
  baseBranch: string;
  /** False when the token cannot push: the branch goes to a fork. */
  canPush: boolean;
  /** The commit the sandbox was cloned at: the base of the change set. */
  headSha: string;
  /** The branch checked out. */
  ref: string;
  /** The tree of `headSha`, from the clone (absent in setups saved before clones answered it). */
  treeSha?: string;
  context: RepoContext;
  /** A follow-up's: the conversation so far and the PR's diff when the turn started. */
  history?: FollowUpHistory;
  /**
   * The repository's environment (devcontainer.json or SETUP_COMMAND), absent when it has none:
   * its plan gives every agent command its env and cwd; `ready` once the setup phase ended, so a
   * later attempt does not set up again.
   */
  environment?: { plan: EnvironmentPlan; warm: boolean; notes: string[]; ready: boolean };
}

export function migrateProgress(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS messages (idx INTEGER PRIMARY KEY, body TEXT NOT NULL)");
}

/** Saves a turn; idempotent, so a replayed save of the same turn changes nothing. */
export function saveTurn(sql: SqlStorage, save: TurnSave): void {
  sql.exec("DELETE FROM messages WHERE idx >= ?", save.from);
  save.messages.forEach((m, i) => {
    sql.exec("INSERT INTO messages (idx, body) VALUES (?, ?)", save.from + i, JSON.stringify(m));
  });
  const meta = { turn: save.turn, record: save.record, nudged: save.nudged };
  sql.exec("INSERT OR REPLACE INTO kv (key, value) VALUES ('agent', ?)", JSON.stringify(meta));
}

/** The saved agent state, or null before the first turn was saved. */
export function loadAgentState(sql: SqlStorage): AgentState | null {
  const row = sql.exec<{ value: string }>("SELECT value FROM kv WHERE key = 'agent'").toArray()[0];
  if (!row) return null;
  const meta = JSON.parse(row.value) as Omit<AgentState, "messages">;
  const messages = sql
    .exec<{ body: string }>("SELECT body FROM messages ORDER BY idx")
    .toArray()
    .map((r) => JSON.parse(r.body) as Message);
  return { ...meta, messages };
}
