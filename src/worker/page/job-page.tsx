/**
 * The job page: server-rendered from the log so it is complete with scripts off; public/job.js then
 * follows the job live from `data-last-seq`. Links to the PR's earlier and later turns (`#chain`)
 * come with the page; a turn that starts later shows on a reload.
 */
import { DiffView } from "./diff-view";
import { Document, renderDocument } from "./document";
import { JobFacts } from "./job-facts";
import { MessageList } from "./message-list";
import { Outcome } from "./outcome";
import type { PageView } from "./page-view";
import { StepList } from "./step-list";

export interface JobPageProps {
  view: PageView;
  /** The job's stored diff (jobs/diff-step.ts); null until publishing starts. */
  diff: string | null;
  /** When the page is rendered (the elapsed time of a running job counts to it). */
  now: number;
  /** The PR's conversation around the job (follow-ups). */
  chain: { followUpOf: string | null; followUps: string[] };
}

/** The PR's conversation around this job: the turn it follows, and the turns after it. */
export function Chain(props: { followUpOf: string | null; followUps: string[] }) {
  if (!props.followUpOf && props.followUps.length === 0) return null;
  return (
    <section id="chain" aria-labelledby="chain-heading">
      <h2 id="chain-heading">Follow-ups</h2>
      <ul>
        {props.followUpOf ? (
          <li>
            Follows up <a href={`/jobs/${props.followUpOf}`}>job {props.followUpOf.slice(0, 8)}</a>
          </li>
        ) : null}
        {props.followUps.map((id) => (
          <li>
            Followed by <a href={`/jobs/${id}`}>job {id.slice(0, 8)}</a>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function JobPage(props: JobPageProps) {
  const { view } = props;
  return (
    <Document title={`${view.status} · ${view.repo} · job ${view.jobId.slice(0, 8)}`}>
      <main
        id="job"
        data-job-id={view.jobId}
        data-last-seq={String(view.lastSeq)}
        data-status={view.status}
        data-events-url={view.eventsUrl}
        data-created-at={view.createdAt}
      >
        <JobFacts view={view} now={props.now} />
        <Outcome view={view} />
        <StepList steps={view.steps} />
        <MessageList messages={view.messages} />
        <DiffView diff={props.diff} prUrl={view.pr?.url ?? null} />
        <Chain followUpOf={props.chain.followUpOf} followUps={props.chain.followUps} />
      </main>
      <footer>
        <p>
          Job <code>{view.jobId}</code>. Its raw event stream: <a href={view.eventsUrl}>events</a>.
        </p>
      </footer>
    </Document>
  );
}

export function renderJobPage(props: JobPageProps): Promise<string> {
  return renderDocument(<JobPage {...props} />);
}
