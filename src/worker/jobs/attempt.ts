/**
 * One attempt's link to its JobRoom: every call names the attempt, so the room can refuse an
 * attempt it has replaced, and a heartbeat runs for the attempt's whole life (model calls and
 * commands of any length included), so the room knows a silent attempt is a dead one.
 */
import type { JobEvent } from "../../protocol/events";
import { log } from "../log";
import type { TurnSave } from "./progress";
import { SUPERSEDED } from "./room-types";

/** The room's methods an attempt calls (structural: the RPC stub of the Worker's JobRoom). */
export interface RoomStub {
  heartbeat(attempt: number): Promise<void>;
  append(attempt: number, event: JobEvent, key: string): Promise<number | null>;
  saveTurn(attempt: number, save: TurnSave, events: { event: JobEvent; key: string }[]): Promise<void>;
}

/** True when the room refused a call because a newer attempt (or the job's end) replaced this one. */
export function isSuperseded(error: unknown): boolean {
  return String(error instanceof Error ? error.message : error).includes(SUPERSEDED);
}

/** Beats every `intervalMs` until `stop()`; a failed beat is only logged (the next call tells). */
export function startHeartbeat(
  room: RoomStub,
  attempt: number,
  intervalMs: number,
  jobId?: string,
): { stop(): void } {
  const timer = setInterval(() => {
    room.heartbeat(attempt).catch((error: unknown) => {
      if (!isSuperseded(error)) log.warn("heartbeat failed", { job_id: jobId, attempt, error });
    });
  }, intervalMs);
  return { stop: () => clearInterval(timer) };
}
