// What the GitHub stand-in knows: its repositories (real bare repos under one temp dir, served as
// GIT_PROJECT_ROOT), the pull requests opened on them, and the identity behind the token.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { BareRepo, isoSeconds } from "./github-git";
import { type RepoInfo, stableId, type Urls } from "./github-objects";

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
  base: string;
  /** The commits at creation; responses use the branches' current commits when they still exist. */
  headSha: string;
  baseSha: string;
  draft: boolean;
  state: "open" | "closed";
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
    const git = new BareRepo(dir, this.home);
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
    });
    return sha;
  }
}
