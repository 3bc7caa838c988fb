/**
 * The job page: server-rendered from the log so it is complete with scripts off; public/job.js then
 * follows the job live from `data-last-seq`. Follow-up links are a hook (`#chain`), empty until
 * follow-up jobs exist.
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
}

/** Links to the previous and next job of a follow-up chain; there are none yet, so it renders nothing. */
export function Chain(_props: { jobId: string }) {
  return null;
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
        <Chain jobId={view.jobId} />
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
