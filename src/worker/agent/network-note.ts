/**
 * The line a failed `bash` command's observation gets when its output looks like a network
 * failure: the agent works with the network off (none locally, the allowlist on Modal), and a
 * model that sees only "could not resolve host" tends to retry or give up on the tests. The line
 * says why, and where dependencies belong: the repository's setup, which runs with network.
 */

/** Messages of resolvers, sockets and package managers that mean "no network here". */
const OFFLINE =
  /could not resolve host|could not resolve proxy|temporary failure in name resolution|name or service not known|nodename nor servname|no address associated with hostname|\bENOTFOUND\b|\bEAI_AGAIN\b|\bENETUNREACH\b|\bEHOSTUNREACH\b|network is unreachable|no route to host|getaddrinfo|failed to establish a new connection|unable to connect to [a-z0-9.-]+ *:\d+|dial tcp: lookup/i;

/** Connection refused, with the address when the tool names one (curl, Node, Python, Go). */
const REFUSED =
  /(?:failed to connect to ([^\s:]+)(?: port |:)\d+[^\n]*?(?:connection refused|couldn't connect)|ECONNREFUSED ([^\s:]+):\d+|connect to ([^\s:]+) port \d+: connection refused|dial tcp ([^\s:]+):\d+: connect: connection refused|connection refused)/i;

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|::1|\[::1\]|0\.0\.0\.0)$/i;

export const NETWORK_OFF_NOTE =
  "[note: the network is off while the agent works, so nothing outside the sandbox can be reached. " +
  "Dependencies are installed in the repository's setup, which runs with network before the agent: " +
  ".devcontainer/devcontainer.json (onCreateCommand, postCreateCommand) or the deployment's SETUP_COMMAND.]";

export const LOOPBACK_REFUSED_NOTE =
  "[note: nothing listens on that address inside the sandbox: its localhost is its own, and the network " +
  "is off while the agent works, so services outside the sandbox cannot be reached. Dependencies are " +
  "installed in the repository's setup, which runs with network before the agent: " +
  ".devcontainer/devcontainer.json (onCreateCommand, postCreateCommand) or the deployment's SETUP_COMMAND.]";

/** The note for a command that exited `exitCode` with `output`, or null when it needs none. */
export function networkNote(exitCode: number, output: string): string | null {
  if (exitCode === 0) return null;
  if (OFFLINE.test(output)) return NETWORK_OFF_NOTE;
  const refused = REFUSED.exec(output);
  if (!refused) return null;
  const host = refused.slice(1).find((h) => h !== undefined);
  // A refusal on the sandbox's own loopback may be a server the agent meant to start: said gently.
  return host === undefined || LOOPBACK.test(host) ? LOOPBACK_REFUSED_NOTE : NETWORK_OFF_NOTE;
}
