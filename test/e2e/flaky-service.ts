// The real sandbox service app behind an HTTP server the test can take down and bring back on the
// same port, while its backend (and so its sandboxes) lives on — as when the service restarts in
// front of Modal, or the network to it drops for a while. While down, every request is reset
// unanswered and logged, so a test ends an outage on what the Worker did (its retry arrived, its
// cleanup began), never after a guessed number of seconds.
import { EventEmitter } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { createServiceApp } from "../../src/sandbox-service/app";
import type { Backend } from "../../src/sandbox-service/backends/types";
import { silentLogger } from "../../src/sandbox-service/log";

/** A request the service refused while down. */
export interface Refusal {
  method: string;
  path: string;
}

export interface FlakyService {
  url: string;
  /** Starts an outage: drops every open connection and resets each request without an answer. */
  down(): void;
  /** Serves requests again. */
  up(): void;
  /** The requests refused in the current (or last) outage, in arrival order. */
  refused: Refusal[];
  /** Resolves once a request matching `match` has been refused in this outage (already, or later). */
  whenRefused(match: (refusal: Refusal) => boolean): Promise<Refusal>;
  close(): Promise<void>;
}

/** Serves the sandbox service for `backend` with `token` on a free loopback port. */
export async function startFlakyService(backend: Backend, token: string): Promise<FlakyService> {
  const listener = getRequestListener(createServiceApp({ backend, token, log: silentLogger }).fetch);
  const refused: Refusal[] = [];
  const events = new EventEmitter();
  let isDown = false;
  const server = createServer((req, res) => {
    if (!isDown) return void listener(req, res);
    const refusal = { method: req.method ?? "", path: new URL(req.url ?? "/", "http://flaky").pathname };
    refused.push(refusal);
    // A reset, not an answer: to the Worker this is the service gone, not the service failing.
    req.socket.resetAndDestroy();
    events.emit("refused", refusal);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    refused,
    down() {
      isDown = true;
      refused.length = 0;
      server.closeAllConnections();
    },
    up() {
      isDown = false;
    },
    whenRefused(match) {
      const seen = refused.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => {
        const check = (refusal: Refusal) => {
          if (!match(refusal)) return;
          events.off("refused", check);
          resolve(refusal);
        };
        events.on("refused", check);
      });
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await backend.close();
    },
  };
}
