/**
 * The JobRoom's clone tickets: the one credential-free way the sandbox's clone reaches the git
 * proxy (clone-ticket.ts). Issued by the clone step, redeemed by the proxy, revoked once the clone
 * is over; none for a job that is unknown or has ended.
 */
import { issueTicket, revokeTicket, ticketValid } from "./clone-ticket";
import { hasEnded } from "./log";
import { JobRoomReads } from "./room-reads";

export abstract class JobRoomTickets extends JobRoomReads {
  /** A ticket for the job's one clone through the git proxy (clone-ticket.ts); null once it is over. */
  async issueCloneTicket(): Promise<string | null> {
    return !this.job() || hasEnded(this.ctx.storage.sql) ? null : issueTicket(this.ctx.storage.sql);
  }

  async revokeCloneTicket(): Promise<void> {
    if (this.job()) revokeTicket(this.ctx.storage.sql);
  }

  /** The repository (`owner/name`) a live clone ticket lets the git proxy read, else null. */
  async redeemCloneTicket(ticket: string): Promise<string | null> {
    const job = this.job();
    if (!job || hasEnded(this.ctx.storage.sql)) return null;
    // A follow-up clones its PR's branch where it lives: the repository or the token's fork.
    return (await ticketValid(this.ctx.storage.sql, ticket)) ? (job.followUp?.pr.headRepo ?? job.repo) : null;
  }
}
