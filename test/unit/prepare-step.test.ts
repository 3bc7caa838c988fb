// The `prepare` step against the GitHub stand-in through the real client: the plan comes from the
// branch that will be cloned whether the job names it or not, and a missing repository is reported
// as such even while its branch is being read.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
