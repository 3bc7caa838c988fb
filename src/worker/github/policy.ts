/**
 * Publishing policy: what an agent may put on a branch, checked on the change set before anything
 * is written to GitHub. Refused files are left out and named (in the PR body, or in the job's error
 * when nothing acceptable is left); a change set over the file-count cap is refused whole.
 */
import type { Change } from "../../protocol/sandbox";

export interface PublishPolicy {
  /** Allow changes under `.github/workflows/` (CI definitions run with the repository's secrets). */
  allowWorkflows: boolean;
  maxFileBytes: number;
  maxFiles: number;
}

export interface Refusal {
  path: string;
  reason: string;
}

export type PolicyOutcome =
  | { ok: true; changes: Change[]; refused: Refusal[] }
  | { ok: false; reason: string };

/** Applies `policy` to a change set; deletions are always allowed except under protected paths. */
export function applyPolicy(changes: Change[], policy: PublishPolicy): PolicyOutcome {
  if (changes.length > policy.maxFiles) {
    return {
      ok: false,
      reason: `The change touches ${changes.length} files, over the limit of ${policy.maxFiles}; nothing was published.`,
    };
  }
  const kept: Change[] = [];
  const refused: Refusal[] = [];
  for (const change of changes) {
    const reason = refusalOf(change, policy);
    if (reason) refused.push({ path: change.path, reason });
    else kept.push(change);
  }
  return { ok: true, changes: kept, refused };
}

function refusalOf(change: Change, policy: PublishPolicy): string | null {
  if (!policy.allowWorkflows && /^\.github\/workflows\//.test(change.path)) {
    return "changes to .github/workflows/ are not allowed by this deployment (ALLOW_WORKFLOW_CHANGES)";
  }
  if (change.status === "deleted") return null;
  const bytes = change.size;
  if (bytes > policy.maxFileBytes) {
    return `${formatMiB(bytes)} is over the ${formatMiB(policy.maxFileBytes)} file size limit`;
  }
  if (change.mode === "120000") {
    const target = change.target;
    if (target === undefined) return "a symlink whose target could not be read";
    if (escapes(change.path, target)) return `a symlink pointing outside the repository (${target})`;
  }
  return null;
}

/** True when `target`, read from the link at `linkPath`, leaves the repository root. */
export function escapes(linkPath: string, target: string): boolean {
  if (target.startsWith("/") || target.includes("\0")) return true;
  const parts = linkPath.split("/").slice(0, -1);
  for (const segment of target.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (parts.length === 0) return true;
      parts.pop();
    } else parts.push(segment);
  }
  return false;
}

function formatMiB(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
