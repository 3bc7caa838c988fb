/**
 * Turning what a user typed (`owner/repo` or a URL on GITHUB_URL's host) into a repository name
 * we can trust: one host only, no credentials, no extra path, names GitHub itself would accept.
 */

export interface RepoRef {
  owner: string;
  repo: string;
}

// GitHub: owners are 1–39 alphanumerics or single hyphens, not at either end; repos 1–100 of [A-Za-z0-9._-].
const OWNER = /^(?!-)(?!.*--)[A-Za-z0-9-]{1,39}(?<!-)$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * Parses `owner/repo` or `https://<GITHUB_URL host>/owner/repo[.git][/]`.
 * Returns the reason as a string when the input is not acceptable.
 */
export function parseRepo(input: string, githubUrl: string): RepoRef | string {
  const text = input.trim();
  if (text === "") return "is empty";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (/[\s\u0000-\u001f\u007f\\]/.test(text)) return "contains whitespace, control characters or backslashes";
  // URL parsing would resolve these away (`/acme/../etc/x` → `/etc/x`): refuse them outright.
  if (/(^|\/)\.{1,2}(\/|$)/.test(text)) return "must not contain . or .. path segments";
  let path: string;
  if (/^[a-z][a-z0-9+.-]*:/i.test(text) || text.startsWith("//")) {
    let url: URL;
    let base: URL;
    try {
      url = new URL(text);
      base = new URL(githubUrl);
    } catch {
      return "is not a valid URL";
    }
    if (url.protocol !== base.protocol || url.host !== base.host) {
      return `must be a repository on ${base.host} (${base.protocol}//${base.host}/owner/repo)`;
    }
    if (url.username || url.password) return "must not contain credentials";
    if (url.search || url.hash || text.includes("?") || text.includes("#")) {
      return "must not have a query or fragment";
    }
    const basePath = base.pathname.replace(/\/+$/, "");
    if (!url.pathname.startsWith(`${basePath}/`)) return `must be under ${base.href}`;
    path = url.pathname.slice(basePath.length + 1);
    if (/%/.test(path)) return "must not contain percent-encoded characters";
  } else {
    path = text;
  }
  path = path.replace(/\/$/, "");
  const parts = path.split("/");
  if (parts.length !== 2) return "must be owner/repo";
  const owner = parts[0] ?? "";
  let repo = parts[1] ?? "";
  if (repo.endsWith(".git")) repo = repo.slice(0, -4);
  if (!OWNER.test(owner)) return `has an invalid owner "${owner}"`;
  if (!REPO.test(repo) || repo === "." || repo === "..") return `has an invalid repository name "${repo}"`;
  return { owner, repo };
}

/** Git refs the user may name as a base branch: no `..`, no control or special characters. */
export function isValidBranch(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 255 &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
    !/[\s\u0000-\u001f\u007f~^:?*[\\]/.test(name) &&
    !name.includes("..") &&
    !name.includes("@{") &&
    !name.startsWith("/") &&
    !name.endsWith("/") &&
    !name.endsWith(".lock") &&
    !name.startsWith("-") &&
    !name.includes("//")
  );
}
