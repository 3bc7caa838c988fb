// What the GitHub stand-in knows: its repositories (real bare repos under one temp dir, served as
// GIT_PROJECT_ROOT), the pull requests opened on them, and the identity behind the token.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { GitSpawner } from "./git-spawner";
import { BareRepo, isoSeconds } from "./github-git";
import { type RepoInfo, stableId, type Urls } from "./github-objects";
import { PullTalk } from "./github-talk";

export interface RepoRecord extends RepoInfo {
  git: BareRepo;
  nextNumber: number;
  /** False for repositories whose plan has no draft pull requests (GitHub answers 422). */
  draftsSupported: boolean;
}

/** A pull request as the stand-in stores it (`head`/`base` are branch names in the same repo). */
export interface PullRecord {
  owner: string;
  repo: string;
  number: number;
  id: number;
  title: string;
  body: string | null;
  head: string;
  /** Owner of the repository holding `head`: the base repo's owner, or a fork's. */
  headOwner: string;
  base: string;
  /**
   * The commits at creation, then at closing: an open PR's responses use the branches' current
   * commits when they still exist, a closed one's stay where they were when it closed.
   */
  headSha: string;
  baseSha: string;
  draft: boolean;
  state: "open" | "closed";
  closedAt: string | null;
  /** Set when it was merged (then closed too); a merged PR cannot be reopened. */
  mergedAt: string | null;
  mergeCommitSha: string | null;
  user: string;
  maintainerCanModify: boolean;
  createdAt: string;
  updatedAt: string;
  htmlUrl: string;
}

/** `createRepo` options; `draftsSupported: false` makes draft pull requests a 422, as on GitHub Free private repos. */
export interface RepoOptions {
  defaultBranch?: string;
  private?: boolean;
  description?: string;
  draftsSupported?: boolean;
  /** False when the token's user may not push to it (the agent must fork). */
  pushable?: boolean;
  /** False when the token's user is no collaborator: a private repo then answers it 404, as a missing one. */
  collaborator?: boolean;
  /** False when the App is not installed on it: its installation lookup answers 404. */
  appInstalled?: boolean;
}

/** A file for `createRepo`: text, bytes, or either with a mode (`100755`, or `120000` for a symlink). */
export type RepoFile = string | Buffer | { content: string | Buffer; mode: "100644" | "100755" | "120000" };

const SEED_IDENTITY = {
  name: "Stand-in Owner",
  email: "owner@example.invalid",
  date: "2024-01-01T00:00:00Z",
};

export class GitHubWorld {
  readonly repos = new Map<string, RepoRecord>();
  readonly pulls: PullRecord[] = [];
  /** What people say on the pull requests: comments, reviews, reactions, permissions. */
  readonly talk = new PullTalk();
  /** Reads each new fork answers 404 to before it is ready (GitHub forks asynchronously). */
  forkDelay = 0;
  private readonly notReady = new Map<RepoRecord, number>();
  /** Starts every git run of the repositories' (not the long-lived readers and ref updaters). */
  private readonly spawner = new GitSpawner();

  constructor(
    readonly urls: Urls,
    /** Login of the user the token belongs to. */
    readonly login: string,
    /** GIT_PROJECT_ROOT: repos live at `<root>/<owner>/<repo>.git`. */
    readonly root: string,
    /** HOME for every git the stand-in runs (and scratch space). */
    readonly home: string,
  ) {}

  /** The repository, matched case-insensitively like GitHub. */
  repo(owner: string, name: string): RepoRecord | undefined {
    return this.repos.get(`${owner}/${name.replace(/\.git$/, "")}`.toLowerCase());
  }

  /** Creates a bare repo whose default branch holds `files` in one commit; resolves to that commit. */
  async createRepo(
    owner: string,
    name: string,
    files: Record<string, RepoFile>,
    options: RepoOptions = {},
  ): Promise<string> {
    if (this.repo(owner, name)) throw new Error(`repository ${owner}/${name} already exists`);
    const branch = options.defaultBranch ?? "main";
    const dir = join(this.root, owner, `${name}.git`);
    await mkdir(dir, { recursive: true });
    const git = new BareRepo(dir, this.home, this.spawner);
    await git.run(["init", "--quiet", "--bare", `--initial-branch=${branch}`, dir]);
    for (const [key, value] of [
      ["uploadpack.allowFilter", "true"],
      ["uploadpack.allowAnySHA1InWant", "true"],
      ["receive.denyNonFastForwards", "false"],
    ]) {
      await git.run(["config", key ?? "", value ?? ""]);
    }
    const entries = [];
    for (const [path, file] of Object.entries(files)) {
      const { content, mode } =
        typeof file === "string" || Buffer.isBuffer(file) ? { content: file, mode: "100644" } : file;
      const sha = await git.writeBlob(Buffer.from(content));
      entries.push({ path, mode, type: "blob" as const, sha });
    }
    const tree = await git.buildTree(undefined, entries);
    const sha = await git.commitTree({
      tree,
      parents: [],
      message: "Initial commit\n",
      author: SEED_IDENTITY,
      committer: SEED_IDENTITY,
    });
    await git.run(["update-ref", `refs/heads/${branch}`, sha]);
    const now = isoSeconds(new Date());
    this.repos.set(`${owner}/${name}`.toLowerCase(), {
      owner,
      name,
      id: stableId("repo", `${owner}/${name}`),
      private: options.private ?? false,
      defaultBranch: branch,
      description: options.description ?? null,
      createdAt: now,
      pushedAt: now,
      git,
      nextNumber: 1,
      draftsSupported: options.draftsSupported ?? true,
      pushable: options.pushable ?? true,
      collaborator: options.collaborator ?? true,
      appInstalled: options.appInstalled ?? true,
    });
    return sha;
  }

  /**
   * Forks `upstream` to the token's user (all branches, at their current commits); an existing fork
   * is returned as it is, stale or not. The fork answers 404 to its first `forkDelay` reads.
   */
  async forkRepo(upstream: RepoRecord): Promise<RepoRecord> {
    const existing = this.repo(this.login, upstream.name);
    if (existing) return existing;
    const dir = join(this.root, this.login, `${upstream.name}.git`);
    await mkdir(dir, { recursive: true });
    const git = new BareRepo(dir, this.home, this.spawner);
    await git.run(["init", "--quiet", "--bare", `--initial-branch=${upstream.defaultBranch}`, dir]);
    await git.run(["config", "uploadpack.allowFilter", "true"]);
    await git.run(["fetch", "--quiet", upstream.git.dir, "+refs/heads/*:refs/heads/*"]);
    const now = isoSeconds(new Date());
    const fork: RepoRecord = {
      owner: this.login,
      name: upstream.name,
      id: stableId("repo", `${this.login}/${upstream.name}`),
      private: upstream.private,
      defaultBranch: upstream.defaultBranch,
      description: upstream.description,
      createdAt: now,
      pushedAt: now,
      git,
      nextNumber: 1,
      draftsSupported: upstream.draftsSupported,
      pushable: true,
      parent: upstream,
    };
    this.repos.set(`${this.login}/${upstream.name}`.toLowerCase(), fork);
    this.notReady.set(fork, this.forkDelay);
    return fork;
  }

  /** Ends every repository's git processes, and the one starting git runs. */
  async close(): Promise<void> {
    await Promise.all([...this.repos.values()].map((r) => r.git.close()));
    await this.spawner.close();
  }

  /** Reads a just-created fork still refuses (404), counting this one down. */
  stillForking(repo: RepoRecord): boolean {
    const left = this.notReady.get(repo) ?? 0;
    if (left <= 0) return false;
    this.notReady.set(repo, left - 1);
    return true;
  }

  /**
   * Commits `files` on top of `branch` as someone else's push (a human on a PR branch, or upstream
   * making a fork stale): text sets a file, null deletes it. Resolves to the commit.
   */
  async commitFiles(
    owner: string,
    name: string,
    branch: string,
    files: Record<string, string | null>,
    message = "Upstream change",
  ): Promise<string> {
    const repo = this.repo(owner, name);
    if (!repo) throw new Error(`no repository ${owner}/${name}`);
    const parent = await repo.git.resolveRef(`refs/heads/${branch}`);
    if (!parent) throw new Error(`no branch ${branch}`);
    const entries = [];
    for (const [path, content] of Object.entries(files)) {
      const sha = content === null ? null : await repo.git.writeBlob(Buffer.from(content));
      entries.push({ path, mode: "100644", type: "blob" as const, sha });
    }
    const base = (await repo.git.readCommit(parent)).tree;
    const tree = await repo.git.buildTree(base, entries);
    const sha = await repo.git.commitTree({
      tree,
      parents: [parent],
      message: `${message.trimEnd()}\n`,
      author: SEED_IDENTITY,
      committer: SEED_IDENTITY,
    });
    if (!(await repo.git.setRef(`refs/heads/${branch}`, sha, parent)))
      throw new Error(`${branch} moved meanwhile`);
    return sha;
  }
}
