// Comparing two commits on the GitHub stand-in (`repos.compareCommitsWithBasehead`): `BASE...HEAD`
// of branches, tags or commit ids, answered from real git as GitHub does — the commits from the
// merge base to HEAD, ahead/behind counts and status, and the files of the three-dot diff with
// renames detected (`previous_filename`), each with its blob id and line counts.
import type { BareRepo } from "./github-git";
import { commitJson } from "./github-objects";
import { GitHubError, type Route, type RouteContext } from "./github-route";

/** GitHub lists at most this many commits on a page and this many files in all. */
const MAX_COMMITS = 250;
const MAX_FILES = 300;

const STATUS: Record<string, string> = {
  A: "added",
  D: "removed",
  M: "modified",
  T: "changed",
  R: "renamed",
  C: "copied",
};

/** A side of `basehead`: `ref` or `owner:ref` with this repository's owner (other forks: not here). */
async function resolveSide(ctx: RouteContext, side: string): Promise<string> {
  const colon = side.indexOf(":");
  const owner = colon < 0 ? ctx.repo.owner : side.slice(0, colon);
  const ref = colon < 0 ? side : side.slice(colon + 1);
  if (owner.toLowerCase() !== ctx.repo.owner.toLowerCase() || ref === "" || ref.startsWith("-"))
    throw new GitHubError(404, "Not Found");
  const sha = await ctx.repo.git.resolveRef(ref);
  if (!sha) throw new GitHubError(404, "Not Found");
  return sha;
}

interface DiffFile {
  filename: string;
  previous?: string;
  status: string;
  sha: string | null;
  additions: number;
  deletions: number;
}

/** The files `git diff -M from to` changes, with GitHub's statuses and counts. */
async function diffFiles(git: BareRepo, from: string, to: string): Promise<DiffFile[]> {
  const raw = (await git.run(["diff", "--raw", "-z", "-M", "--no-abbrev", from, to])).toString("utf8");
  const numstat = (await git.run(["diff", "--numstat", "-z", "-M", from, to])).toString("utf8");
  const counts: [number, number][] = [];
  const stats = numstat.split("\0");
  for (let i = 0; i < stats.length; i++) {
    const match = /^(\d+|-)\t(\d+|-)\t(.*)$/s.exec(stats[i] ?? "");
    if (!match) continue;
    counts.push([Number(match[1]) || 0, Number(match[2]) || 0]);
    if (match[3] === "") i += 2; // A rename names its source and destination in the next two fields.
  }
  const files: DiffFile[] = [];
  const fields = raw.split("\0");
  for (let i = 0; i < fields.length; i++) {
    const header = /^:(\d+) (\d+) ([0-9a-f]+) ([0-9a-f]+) ([A-Z])\d*$/.exec(fields[i] ?? "");
    if (!header) continue;
    const [, oldMode, newMode, oldSha = "", newSha = "", letter = "M"] = header;
    const paired = letter === "R" || letter === "C";
    const first = fields[++i] ?? "";
    const filename = paired ? (fields[++i] ?? "") : first;
    const [additions, deletions] = counts[files.length] ?? [0, 0];
    const removed = letter === "D";
    // A mode change alone has no new content: GitHub reports it as modified with no blob id.
    const modeOnly = letter === "M" && oldSha === newSha && oldMode !== newMode;
    files.push({
      filename,
      ...(paired ? { previous: first } : {}),
      status: STATUS[letter] ?? "modified",
      sha: modeOnly ? null : removed ? oldSha : newSha,
      additions,
      deletions,
    });
  }
  return files;
}

const compare: Route = {
  method: "GET",
  template: "/repos/{owner}/{repo}/compare/{basehead}",
  async handle(ctx) {
    const basehead = ctx.params.basehead ?? "";
    const dots = basehead.indexOf("...");
    if (dots < 0) throw new GitHubError(404, "Not Found");
    const git = ctx.repo.git;
    const base = await resolveSide(ctx, basehead.slice(0, dots));
    const head = await resolveSide(ctx, basehead.slice(dots + 3));
    const mergeBase = await git.text(["merge-base", base, head]).catch(() => "");
    if (!mergeBase) throw new GitHubError(404, `No common ancestor between ${base} and ${head}.`);
    const count = async (range: string) => Number(await git.text(["rev-list", "--count", range]));
    const ahead = await count(`${base}..${head}`);
    const behind = await count(`${head}..${base}`);
    const listed = await git.text(["rev-list", "--reverse", "--topo-order", `${base}..${head}`]);
    const shas = listed.split("\n").filter(Boolean).slice(0, MAX_COMMITS);
    const { urls } = ctx.world;
    const json = async (sha: string) => commitJson(urls, ctx.repo, await git.readCommit(sha));
    const full = `${ctx.repo.owner}/${ctx.repo.name}`;
    const web = `${urls.web}/${full}`;
    const blob = (sha: string, path: string) => `${web}/blob/${sha}/${encodeURI(path)}`;
    const files = (await diffFiles(git, mergeBase, head)).slice(0, MAX_FILES).map((f) => ({
      sha: f.sha,
      filename: f.filename,
      status: f.status,
      additions: f.additions,
      deletions: f.deletions,
      changes: f.additions + f.deletions,
      blob_url: blob(head, f.filename),
      raw_url: `${web}/raw/${head}/${encodeURI(f.filename)}`,
      contents_url: `${urls.api}/repos/${full}/contents/${encodeURI(f.filename)}?ref=${head}`,
      ...(f.previous ? { previous_filename: f.previous } : {}),
    }));
    const status = ahead && behind ? "diverged" : ahead ? "ahead" : behind ? "behind" : "identical";
    return {
      status: 200,
      body: {
        url: `${urls.api}/repos/${full}/compare/${basehead}`,
        html_url: `${web}/compare/${basehead}`,
        permalink_url: `${web}/compare/${ctx.repo.owner}:${base}...${ctx.repo.owner}:${head}`,
        diff_url: `${web}/compare/${basehead}.diff`,
        patch_url: `${web}/compare/${basehead}.patch`,
        base_commit: await json(base),
        merge_base_commit: await json(mergeBase),
        status,
        ahead_by: ahead,
        behind_by: behind,
        total_commits: ahead,
        commits: await Promise.all(shas.map(json)),
        files,
      },
    };
  },
};

export const compareRoutes: Route[] = [compare];
