/**
 * Stand-in for `undici`, aliased in wrangler.toml. Bolt's socket-mode dependency imports it, and
 * undici needs `node:sqlite`, which workerd lacks. We never use socket mode, so any use is a bug.
 */
function unavailable(): never {
  throw new Error("undici is not available in the Worker (socket mode is unsupported here)");
}
export const fetch = unavailable;
export class Agent {
  constructor() {
    unavailable();
  }
}
export default { fetch, Agent };
