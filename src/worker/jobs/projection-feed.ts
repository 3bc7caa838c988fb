/**
 * How a JobRoom feeds its projections (projection.ts): each new event of the log, in order, to
 * every projection, opened when the first event comes, in the job's trace so a projection's calls
 * (Slack's API, D1) are the job's spans. The feed can be held: what is logged meanwhile reaches the
 * projections, still in order, on release (a new job's stream takes its first events first).
 */
import type { LoggedEvent } from "../../protocol/events";
import { withJobTrace } from "../telemetry/job-trace";
import type { JobRecord } from "./log";
import { openProjections, type Projection, type ProjectionFactory } from "./projection";

export class ProjectionFeed {
  private views: Projection[] | undefined;
  /** Events logged while held, for release; null when not held. */
  private held: LoggedEvent[] | null = null;

  constructor(
    private readonly factories: () => ProjectionFactory[],
    private readonly env: Env,
    private readonly sql: SqlStorage,
    private readonly job: () => JobRecord | null,
  ) {}

  notify(logged: LoggedEvent): void {
    if (this.held) this.held.push(logged);
    else this.feed(logged);
  }

  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const logged of held) this.feed(logged);
  }

  private feed(logged: LoggedEvent): void {
    const job = this.job();
    this.views ??= job ? openProjections(this.factories(), this.env, job, this.sql) : [];
    for (const view of this.views) {
      if (job) withJobTrace(job, () => view.notify(logged));
      else view.notify(logged);
    }
  }
}
