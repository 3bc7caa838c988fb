/**
 * The clone of a warm Modal sandbox (started from a snapshot of a set-up environment): its
 * workspace already holds the repository as the job that set it up left it, with whatever setup
 * installed. The job's branch is cloned afresh into an empty directory inside the sandbox (the same
 * clone as a cold sandbox's, the ticket in that one exec's environment), so no `.git/config` the
 * cached environment wrote takes part in it; that clone's `.git` then replaces the cached one, its
 * commit is checked out over the cached files (`reset --hard`, with the ticket gone from the
 * environment) and `git clean -ffd` without `-x` removes what the commit does not track, so the
 * set-up files the repository ignores (node_modules, .venv, target) stay. The answer is a fresh
 * clone's (head, branch, tree, context files), as is the repository's state (refs, config, origin).
 *
 * What setup left in the snapshot also includes programs (it ran as root): a snapshot is only ever
 * used for the repository whose setup made it, and the ticket is read-only, for that repository,
 * and revoked once the clone step ends.
 */
import { randomUUID } from "node:crypto";
import type { Sandbox } from "modal";
import type { CloneRequest, CloneResult } from "../../protocol/sandbox";
import { modalClone } from "./modal-ops";
import type { CloneAuth } from "./types";

/** `$1` the clone script, `$2` a fresh directory for it, then the clone script's arguments. */
const MOVE_SCRIPT = `c=$1; t=$2; shift 2
rm -rf -- "$t" && mkdir -p -- "$t" || exit 96
out=$(cd -- "$t" && sh -c "$c" sh "$@") || { r=$?; rm -rf -- "$t"; exit $r; }
unset GIT_CONFIG_COUNT GIT_CONFIG_KEY_0 GIT_CONFIG_VALUE_0
g() { git -c core.fsmonitor=false -c core.hooksPath=/dev/null -c credential.helper= "$@"; }
rm -rf .git && mv -- "$t/.git" .git && rm -rf -- "$t" || exit 96
g reset -q --hard HEAD && g clean -ffdq || exit 97
printf '%s\\n' "$out"`;

/** Moves the warm workspace to the head of `request.ref` (or the remote's default branch). */
export function modalWarmClone(
  sandbox: Sandbox,
  request: CloneRequest,
  auth?: CloneAuth,
): Promise<CloneResult> {
  const fresh = `/tmp/.warm-clone-${randomUUID()}`;
  return modalClone(sandbox, request, auth, (script, args) => [
    "sh",
    "-c",
    MOVE_SCRIPT,
    "sh",
    script,
    fresh,
    ...args,
  ]);
}
