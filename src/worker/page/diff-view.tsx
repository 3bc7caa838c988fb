/** @jsxImportSource hono/jsx */
/**
 * The job page's diff section, rendered on the server with `hono/jsx` (which escapes every text
 * and attribute, so a changed line holding `<script>` stays text). One article per file, its
 * heading naming the file and git's notes; lines carry a class and their visible sign (`+`, `-`),
 * so colour is never the only signal. A file the service cut ends with the marker's words and a
 * link to the pull request's files view, where the whole change is.
 */
import type { DiffFile, DiffHunk, DiffLine } from "./diff-files";
import { parseDiff } from "./diff-files";

export interface DiffViewProps {
  /** The stored diff; null before publishing started. */
  diff: string | null;
  /** The job's pull request, once there is one. */
  prUrl?: string | null;
}

const SIGNS = { add: "+", del: "-", context: " ", note: "" } as const;

export function DiffView({ diff, prUrl }: DiffViewProps) {
  if (diff === null) {
    return (
      <section id="diff" aria-labelledby="diff-heading">
        <h2 id="diff-heading">Changes</h2>
        <p class="diff-pending">The diff appears when publishing starts.</p>
      </section>
    );
  }
  const { files, omitted } = parseDiff(diff);
  const added = files.reduce((n, f) => n + f.added, 0);
  const removed = files.reduce((n, f) => n + f.removed, 0);
  return (
    <section id="diff" aria-labelledby="diff-heading">
      <h2 id="diff-heading">Changes</h2>
      {files.length === 0 ? (
        <p class="diff-summary">No file changed.</p>
      ) : (
        <p class="diff-summary">
          {files.length} {files.length === 1 ? "file" : "files"} changed: {added} added and {removed} removed
          lines.
        </p>
      )}
      {files.map((file) => (
        <FileView file={file} prUrl={prUrl ?? null} />
      ))}
      {omitted === undefined ? null : (
        <p class="diff-omitted">
          Not shown: {omitted}. <PrFiles prUrl={prUrl ?? null} />
        </p>
      )}
    </section>
  );
}

function FileView({ file, prUrl }: { file: DiffFile; prUrl: string | null }) {
  return (
    <article class="diff-file" data-path={file.path}>
      <h3>
        <code>{file.path}</code>
        {file.notes.map((note) => (
          <span class="diff-note"> ({note})</span>
        ))}
        <span class="diff-counts">
          {" "}
          +{file.added} -{file.removed}
        </span>
      </h3>
      {file.hunks.map((hunk) => (
        <HunkView hunk={hunk} />
      ))}
      {file.truncated === undefined ? null : (
        <p class="diff-truncated">
          Truncated: {file.truncated}. <PrFiles prUrl={prUrl} />
        </p>
      )}
    </article>
  );
}

function HunkView({ hunk }: { hunk: DiffHunk }) {
  return (
    <pre class="diff-hunk">
      <span class="hunk">{hunk.header}</span>
      {"\n"}
      {hunk.lines.map((line) => (
        <LineView line={line} />
      ))}
    </pre>
  );
}

function LineView({ line }: { line: DiffLine }) {
  return (
    <>
      <span class={line.kind} data-old={line.oldLine} data-new={line.newLine}>
        <span class="sign">{SIGNS[line.kind]}</span>
        {line.text}
      </span>
      {"\n"}
    </>
  );
}

function PrFiles({ prUrl }: { prUrl: string | null }) {
  if (!prUrl) return <span>The pull request will show the whole change.</span>;
  return <a href={`${prUrl}/files`}>The whole change is in the pull request.</a>;
}
