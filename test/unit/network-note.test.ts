// The network-off line on a failed bash command (src/worker/agent/network-note.ts): resolver,
// socket and package-manager messages of the common tools, a refusal on a remote host, the gentler
// line for the sandbox's own loopback, and silence for failures that are not the network's.
import { describe, expect, it } from "vitest";
import { LOOPBACK_REFUSED_NOTE, NETWORK_OFF_NOTE, networkNote } from "../../src/worker/agent/network-note";

describe("networkNote", () => {
  it("says the network is off for failures that look like no network", () => {
    for (const output of [
      "curl: (6) Could not resolve host: registry.npmjs.org",
      "npm error code ENOTFOUND\nnpm error network request to https://registry.npmjs.org/x failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org",
      "npm error code EAI_AGAIN",
      "WARNING: Retrying ... Failed to establish a new connection: [Errno -3] Temporary failure in name resolution",
      "ssh: connect to host github.com port 22: Network is unreachable",
      "go: downloading x: dial tcp: lookup proxy.golang.org on 10.0.0.1:53: no such host",
      "curl: (7) Failed to connect to 10.1.2.3 port 443 after 1 ms: Connection refused",
      "Error: connect ECONNREFUSED 192.168.1.5:5432",
    ]) {
      expect(networkNote(1, output), output).toBe(NETWORK_OFF_NOTE);
    }
    expect(NETWORK_OFF_NOTE).toMatch(/network is off while the agent works/);
    expect(NETWORK_OFF_NOTE).toMatch(/devcontainer\.json.*SETUP_COMMAND/);
  });

  it("says so more gently for a refusal on the sandbox's own loopback", () => {
    for (const output of [
      "curl: (7) Failed to connect to 127.0.0.1 port 8080 after 0 ms: Couldn't connect to server",
      "Error: connect ECONNREFUSED 127.0.0.1:3000",
      "urllib.error.URLError: <urlopen error [Errno 111] Connection refused>",
    ]) {
      expect(networkNote(7, output), output).toBe(LOOPBACK_REFUSED_NOTE);
    }
    expect(LOOPBACK_REFUSED_NOTE).toMatch(/network is off while the agent works/);
  });

  it("adds nothing to a success or to a failure of another kind", () => {
    expect(networkNote(0, "curl: (6) Could not resolve host: x")).toBeNull();
    expect(networkNote(1, "AssertionError: expected 2 to equal 3")).toBeNull();
    expect(networkNote(127, "bash: npm: command not found")).toBeNull();
  });
});
