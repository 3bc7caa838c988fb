/**
 * The agent's state, mini-swe-agent's: the message list and the run's record. It is all a run
 * needs to continue, so it is what gets checkpointed (once a turn) and what a new attempt loads.
 */
import type { AgentRecord } from "./loop";
import type { Message } from "./model";

/** The agent's state after a turn: enough to continue the loop exactly where it was. */
export interface AgentState {
  /** The last turn whose model reply is in `messages`; 0 before the first. */
  turn: number;
  messages: Message[];
  record: AgentRecord;
  /** Whether the agent was already asked to run the tests before finishing. */
  nudged: boolean;
}

/** One turn's save: the messages from index `from` on (earlier ones are already stored). */
export interface TurnSave {
  turn: number;
  from: number;
  messages: Message[];
  record: AgentRecord;
  nudged: boolean;
}
