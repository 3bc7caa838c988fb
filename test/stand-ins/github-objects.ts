// The JSON objects the GitHub stand-in answers with, filled the way api.github.com fills them (every
// property GitHub's OpenAPI schema requires, URLs under the stand-in's own API and web roots).
import { createHash } from "node:crypto";
import type { CommitInfo, Identity } from "./github-git";

export interface Urls {
  /** REST root, e.g. `http://127.0.0.1:PORT/api/v3`. */
  api: string;
  /** Web and clone root, e.g. `http://127.0.0.1:PORT`. */
  web: string;
}

export interface RepoInfo {
  owner: string;
  name: string;
  id: number;
  private: boolean;
  defaultBranch: string;
  description: string | null;
  createdAt: string;
  pushedAt: string;
  /** Whether the token's user may push (false: only a fork and a cross-repository PR will do). */
  pushable?: boolean;
  /** False when the token's user is no collaborator: a private repository is then invisible to it. */
  collaborator?: boolean;
  /** False when the stand-in's GitHub App is not installed on it. */
  appInstalled?: boolean;
  /** The repository this one is a fork of. */
  parent?: RepoInfo;
}

/** A stable numeric id for a name (GitHub ids are opaque integers). */
export function stableId(kind: string, name: string): number {
  return Number.parseInt(createHash("sha1").update(`${kind}:${name}`).digest("hex").slice(0, 7), 16) + 1000;
}

/** A GraphQL-style node id (opaque base64, as on GitHub). */
export function nodeId(kind: string, id: number | string): string {
  return Buffer.from(`${kind}:${id}`).toString("base64").replace(/=+$/, "");
}

/** A `simple-user`. */
export function userJson(urls: Urls, login: string) {
  const id = stableId("user", login);
  // An App's bot login (`name[bot]`) is percent-encoded in its URLs, as GitHub writes them.
  const path = encodeURIComponent(login);
  const url = `${urls.api}/users/${path}`;
  return {
    login,
    id,
    node_id: nodeId("U", id),
    avatar_url: `${urls.web}/avatars/u/${id}?v=4`,
    gravatar_id: "",
    url,
    html_url: `${urls.web}/${path}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: "User",
    user_view_type: "public",
    site_admin: false,
  };
}

/** A `private-user`: what `GET /user` says of the token's own user. */
export function privateUserJson(urls: Urls, login: string) {
  return {
    ...userJson(urls, login),
    user_view_type: "private",
    name: "Stand-in Bot",
    company: null,
    blog: "",
    location: null,
    email: null,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: "2024-01-01T00:00:00Z",
    updated_at: "2024-01-01T00:00:00Z",
    private_gists: 0,
    total_private_repos: 0,
    owned_private_repos: 0,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: true,
  };
}

/** The hypermedia URL templates of a repository object, exactly as api.github.com spells them. */
const REPO_URL_TEMPLATES: [string, string][] = [
  ["archive_url", "{archive_format}{/ref}"],
  ["assignees_url", "assignees{/user}"],
  ["blobs_url", "git/blobs{/sha}"],
  ["branches_url", "branches{/branch}"],
  ["collaborators_url", "collaborators{/collaborator}"],
  ["comments_url", "comments{/number}"],
  ["commits_url", "commits{/sha}"],
  ["compare_url", "compare/{base}...{head}"],
  ["contents_url", "contents/{+path}"],
  ["contributors_url", "contributors"],
  ["deployments_url", "deployments"],
  ["downloads_url", "downloads"],
  ["events_url", "events"],
  ["forks_url", "forks"],
  ["git_commits_url", "git/commits{/sha}"],
  ["git_refs_url", "git/refs{/sha}"],
  ["git_tags_url", "git/tags{/sha}"],
  ["hooks_url", "hooks"],
  ["issue_comment_url", "issues/comments{/number}"],
  ["issue_events_url", "issues/events{/number}"],
  ["issues_url", "issues{/number}"],
  ["keys_url", "keys{/key_id}"],
  ["labels_url", "labels{/name}"],
  ["languages_url", "languages"],
  ["merges_url", "merges"],
  ["milestones_url", "milestones{/number}"],
  ["notifications_url", "notifications{?since,all,participating}"],
  ["pulls_url", "pulls{/number}"],
  ["releases_url", "releases{/id}"],
  ["stargazers_url", "stargazers"],
  ["statuses_url", "statuses/{sha}"],
  ["subscribers_url", "subscribers"],
  ["subscription_url", "subscription"],
  ["tags_url", "tags"],
  ["teams_url", "teams"],
  ["trees_url", "git/trees{/sha}"],
];

/** A `full-repository` (also a valid `repository`, as nested in pull requests). */
export function repoJson(urls: Urls, repo: RepoInfo): Record<string, unknown> {
  const full = `${repo.owner}/${repo.name}`;
  const api = `${urls.api}/repos/${full}`;
  const templated: Record<string, string> = {};
  for (const [key, path] of REPO_URL_TEMPLATES) templated[key] = `${api}/${path}`;
  return {
    id: repo.id,
    node_id: nodeId("R", repo.id),
    name: repo.name,
    full_name: full,
    private: repo.private,
    owner: userJson(urls, repo.owner),
    html_url: `${urls.web}/${full}`,
    description: repo.description,
    fork: repo.parent !== undefined,
    url: api,
    ...templated,
    git_url: `${urls.web.replace(/^https?:/, "git:")}/${full}.git`,
    ssh_url: `git@${new URL(urls.web).host}:${full}.git`,
    clone_url: `${urls.web}/${full}.git`,
    svn_url: `${urls.web}/${full}`,
    mirror_url: null,
    homepage: null,
    language: null,
    forks_count: 0,
    forks: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    size: 1,
    default_branch: repo.defaultBranch,
    open_issues_count: 0,
    open_issues: 0,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: repo.private ? "private" : "public",
    pushed_at: repo.pushedAt,
    created_at: repo.createdAt,
    updated_at: repo.pushedAt,
    permissions:
      repo.pushable === false || repo.collaborator === false
        ? { admin: false, maintain: false, push: false, triage: false, pull: true }
        : { admin: true, maintain: true, push: true, triage: true, pull: true },
    allow_forking: true,
    web_commit_signoff_required: false,
    license: null,
    network_count: 0,
    subscribers_count: 1,
    ...(repo.parent ? { parent: repoJson(urls, repo.parent), source: repoJson(urls, repo.parent) } : {}),
  };
}

const UNSIGNED = { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null };

function gitIdentity(identity: Identity) {
  return { name: identity.name, email: identity.email, date: identity.date };
}

/** A `git-commit` (Git Data API). */
export function gitCommitJson(urls: Urls, repo: RepoInfo, commit: CommitInfo) {
  const api = `${urls.api}/repos/${repo.owner}/${repo.name}`;
  const web = `${urls.web}/${repo.owner}/${repo.name}`;
  return {
    sha: commit.sha,
    node_id: nodeId("C", commit.sha),
    url: `${api}/git/commits/${commit.sha}`,
    html_url: `${web}/commit/${commit.sha}`,
    author: gitIdentity(commit.author),
    committer: gitIdentity(commit.committer),
    tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
    message: commit.message.replace(/\n$/, ""),
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${api}/git/commits/${sha}`,
      html_url: `${web}/commit/${sha}`,
    })),
    verification: UNSIGNED,
  };
}

/** A `commit` (REST commits API shape, as nested in a branch). */
export function commitJson(urls: Urls, repo: RepoInfo, commit: CommitInfo) {
  const api = `${urls.api}/repos/${repo.owner}/${repo.name}`;
  const web = `${urls.web}/${repo.owner}/${repo.name}`;
  return {
    sha: commit.sha,
    node_id: nodeId("C", commit.sha),
    url: `${api}/commits/${commit.sha}`,
    html_url: `${web}/commit/${commit.sha}`,
    comments_url: `${api}/commits/${commit.sha}/comments`,
    commit: {
      url: `${api}/git/commits/${commit.sha}`,
      author: gitIdentity(commit.author),
      committer: gitIdentity(commit.committer),
      message: commit.message.replace(/\n$/, ""),
      comment_count: 0,
      tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
      verification: UNSIGNED,
    },
    author: null,
    committer: null,
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${api}/commits/${sha}`,
      html_url: `${web}/commit/${sha}`,
    })),
  };
}

/** A `git-ref`. */
export function gitRefJson(urls: Urls, repo: RepoInfo, ref: string, sha: string, type = "commit") {
  const api = `${urls.api}/repos/${repo.owner}/${repo.name}`;
  return {
    ref,
    node_id: nodeId("REF", `${repo.id}:${ref}`),
    url: `${api}/git/${ref}`,
    object: { type, sha, url: `${api}/git/${type}s/${sha}` },
  };
}
