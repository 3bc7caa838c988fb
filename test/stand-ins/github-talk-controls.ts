// Test controls of the GitHub stand-in's PR conversations: say something on a pull request as any
// user (with the `author_association` GitHub would put in the webhook, and optionally the
// permission its collaborator check answers), submit a review with inline comments.
import type { GitHubWorld, PullRecord } from "./github-state";
import type {
  Association,
  InlineCommentInput,
  IssueCommentRecord,
  Permission,
  PullTalk,
  ReviewRecord,
} from "./github-talk";

export interface Speaker {
  login: string;
  /** What GitHub says the author is to the repository; default NONE. */
  association?: Association;
  /** The permission `repos.getCollaboratorPermissionLevel` answers for this user. */
  permission?: Permission;
  /** `Bot` for an App's account. */
  type?: "User" | "Bot";
}

export interface TalkControls {
  /** Everything said on the stand-in's PRs (comments, reviews, reactions). */
  talk: PullTalk;
  addComment(owner: string, repo: string, number: number, who: Speaker, body: string): IssueCommentRecord;
  /** A submitted review (`COMMENTED`) of the PR's current head, its comments' hunks from real git. */
  addReview(
    owner: string,
    repo: string,
    number: number,
    who: Speaker,
    body: string,
    comments?: InlineCommentInput[],
  ): Promise<ReviewRecord>;
  setPermission(owner: string, repo: string, login: string, permission: Permission): void;
  /** The pull request (throws when there is none). */
  pull(owner: string, repo: string, number: number): PullRecord;
}

export function talkControls(world: GitHubWorld): TalkControls {
  const pull = (owner: string, repo: string, number: number) => {
    const found = world.pulls.find(
      (p) =>
        p.owner.toLowerCase() === owner.toLowerCase() &&
        p.repo.toLowerCase() === repo.toLowerCase() &&
        p.number === number,
    );
    if (!found) throw new Error(`no pull request ${owner}/${repo}#${number}`);
    return found;
  };
  const repoOf = (owner: string, repo: string) => {
    const found = world.repo(owner, repo);
    if (!found) throw new Error(`no repository ${owner}/${repo}`);
    return found;
  };
  const speak = (owner: string, repo: string, who: Speaker) => {
    if (who.permission) world.talk.setPermission(repoOf(owner, repo), who.login, who.permission);
  };
  return {
    talk: world.talk,
    addComment(owner, repo, number, who, body) {
      speak(owner, repo, who);
      return world.talk.addComment(pull(owner, repo, number), {
        user: who.login,
        body,
        association: who.association ?? "NONE",
        ...(who.type ? { userType: who.type } : {}),
      });
    },
    async addReview(owner, repo, number, who, body, comments = []) {
      speak(owner, repo, who);
      const record = repoOf(owner, repo);
      const target = pull(owner, repo, number);
      const crossRepo = target.headOwner.toLowerCase() !== target.owner.toLowerCase();
      const ref = crossRepo ? `refs/pull/${target.number}/head` : `refs/heads/${target.head}`;
      const head = (await record.git.resolveRef(ref)) ?? target.headSha;
      return world.talk.addReview(record, target, head, {
        user: who.login,
        body,
        association: who.association ?? "NONE",
        comments,
      });
    },
    setPermission(owner, repo, login, permission) {
      world.talk.setPermission(repoOf(owner, repo), login, permission);
    },
    pull,
  };
}
