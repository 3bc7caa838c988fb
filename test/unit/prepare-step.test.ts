// The `prepare` step against the GitHub stand-in through the real client: the plan comes from the
// branch that will be cloned whether the job names it or not, a missing repository is reported as
// such even while its branch is being read, and a remembered default branch is only a guess: a
// repository whose default branch changed (a loopback server speaking GitHub's wire, as the
// stand-in cannot rename one) is planned from the new branch.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planEnvironment } from "../../src/worker/environment/plan";
import { gitHubClient } from "../../src/worker/github/client";
import { prepare } from "../../src/worker/jobs/prepare-step";
import { type GitHubStandIn, startGitHubStandIn } from "../stand-ins/github";

const SETUP = "make setup";
let gh: GitHubStandIn;

const clientOf = (apiUrl: string, token?: string) =>
  gitHubClient({ apiUrl, token, writeIntervalMs: 0, maxRateLimitWaitSeconds: 5 }, token);

async function run(apiUrl: string, token: string | undefined, repo: string, baseBranch: string | null) {
  const [owner = "", name = ""] = repo.split("/");
  return prepare(clientOf(apiUrl, token), {
    job: { repo, baseBranch },
    repo: { owner, repo: name },
    apiUrl,
    setupCommand: SETUP,
  });
}

beforeAll(async () => {
  gh = await startGitHubStandIn();
  await gh.createRepo("acme", "app", { "README.md": "# app\n", "package-lock.json": "{}\n" });
  await gh.git("acme", "app", "branch", "develop", "main");
  await gh.commitFiles("acme", "app", "develop", {
    ".devcontainer.json": '{ "postCreateCommand": "echo develop" }\n',
  });
});
afterAll(async () => {
  await gh?.close();
});

describe("prepare", () => {
  it("plans from the default branch, the same the second time, when the job names none", async () => {
    const first = await run(gh.apiUrl, gh.token, "acme/app", null);
    expect(first).toMatchObject({ baseBranch: "main", canPush: true, private: false, small: true });
    expect(first.environment?.source).toBe("SETUP_COMMAND");
    expect(await run(gh.apiUrl, gh.token, "acme/app", null)).toEqual(first);
  });

  it("plans from the branch the job names", async () => {
    const prepared = await run(gh.apiUrl, gh.token, "acme/app", "develop");
    expect(prepared.baseBranch).toBe("develop");
    expect(prepared.environment?.source).toBe(".devcontainer.json");
    expect(prepared.environment?.commands.postCreateCommand).toEqual([
      { argv: ["/bin/sh", "-c", "echo develop"] },
    ]);
  });

  it("reports a missing repository as missing, though its branch was asked for too", async () => {
    await expect(run(gh.apiUrl, gh.token, "acme/nowhere", "develop")).rejects.toMatchObject({
      code: "repo_not_found",
    });
    expect(gh.violations).toEqual([]);
  });
});

describe("a remembered default branch", () => {
  const branches: Record<string, { tree: string; lock: string }> = {
    main: { tree: "1".repeat(40), lock: "a".repeat(40) },
    trunk: { tree: "2".repeat(40), lock: "b".repeat(40) },
  };
  let defaultBranch = "main";
  const seen: string[] = [];
  let apiUrl = "";
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? "";
    seen.push(path);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (path === "/repos/acme/moved") {
      return json(200, {
        full_name: "acme/moved",
        default_branch: defaultBranch,
        private: false,
        visibility: "public",
        size: 1,
        permissions: { push: true },
      });
    }
    const branch = /^\/repos\/acme\/moved\/branches\/([^/]+)$/.exec(path)?.[1];
    const known = branch === undefined ? undefined : branches[branch];
    if (branch !== undefined) {
      return known
        ? json(200, { name: branch, commit: { sha: "c".repeat(40), commit: { tree: { sha: known.tree } } } })
        : json(404, { message: "Branch not found" });
    }
    const tree = /^\/repos\/acme\/moved\/git\/trees\/([0-9a-f]{40})$/.exec(path)?.[1];
    const entry = Object.values(branches).find((b) => b.tree === tree);
    if (entry) {
      return json(200, {
        sha: tree,
        truncated: false,
        tree: [{ path: "package-lock.json", mode: "100644", type: "blob", sha: entry.lock }],
      });
    }
    json(404, { message: "Not Found" });
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("is read again under the new name when the repository says its default branch changed", async () => {
    const before = await run(apiUrl, "t", "acme/moved", null);
    expect(before.baseBranch).toBe("main");
    defaultBranch = "trunk";
    seen.length = 0;
    const after = await run(apiUrl, "t", "acme/moved", null);
    const trunk = await planEnvironment(
      "acme/moved",
      { lockfiles: [{ path: "package-lock.json", sha: branches.trunk?.lock ?? "" }] },
      SETUP,
    );
    expect(after).toMatchObject({ baseBranch: "trunk", environment: trunk });
    expect(after.environment?.cacheKey).not.toBe(before.environment?.cacheKey);
    // The guess was read, then the branch the repository named.
    const reads = seen.filter((p) => p.includes("/branches/"));
    expect(reads).toEqual(["/repos/acme/moved/branches/main", "/repos/acme/moved/branches/trunk"]);
  });
});
