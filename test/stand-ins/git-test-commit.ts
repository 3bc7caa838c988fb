// For the stand-in's git tests: a commit of the empty tree, made by git itself.
import { runGit } from "./git-cli";

const IDENTITY = {
  GIT_AUTHOR_NAME: "a",
  GIT_AUTHOR_EMAIL: "a@x",
  GIT_COMMITTER_NAME: "a",
  GIT_COMMITTER_EMAIL: "a@x",
};

/** Commits the empty tree in bare repository `repo` with `message` (on `parent`); resolves to its id. */
export async function emptyCommit(
  repo: string,
  home: string,
  message: string,
  parent?: string,
): Promise<string> {
  const tree = (await runGit(repo, ["mktree"], { home, input: "" })).toString().trim();
  const args = ["commit-tree", tree, ...(parent ? ["-p", parent] : []), "-m", message];
  return (await runGit(repo, args, { home, env: IDENTITY })).toString().trim();
}
