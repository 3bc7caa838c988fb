import { LogLevel } from "@slack/bolt";
import { afterEach, describe, expect, it, vi } from "vitest";
import { libraryLogger } from "../../src/worker/library-log";
import { boltLogger } from "../../src/worker/slack/bolt-logger";

const parse = (line: unknown) => JSON.parse(String(line)) as Record<string, unknown>;

function consoleSpies() {
  return {
    debug: vi.spyOn(console, "debug").mockImplementation(() => {}),
    info: vi.spyOn(console, "info").mockImplementation(() => {}),
    warn: vi.spyOn(console, "warn").mockImplementation(() => {}),
    error: vi.spyOn(console, "error").mockImplementation(() => {}),
  };
}

describe("the libraries' loggers", () => {
  afterEach(() => vi.restoreAllMocks());

  it("write a library's console-style call as one of our JSON lines, its objects in details", () => {
    const spies = consoleSpies();
    const octokit = libraryLogger("octokit");
    octokit.info("GET /repos/o/r - 200 in 3ms");
    octokit.error("GET /repos/o/nope - 404 with id X in 8ms", {
      headers: { authorization: "token abcdefghijkl" },
    });
    expect(spies.info).not.toHaveBeenCalled();
    expect(spies.error).toHaveBeenCalledTimes(1);
    const entry = parse(spies.error.mock.calls[0]?.[0]);
    expect(entry).toMatchObject({
      level: "error",
      msg: "GET /repos/o/nope - 404 with id X in 8ms",
      logger: "octokit",
      details: [{ headers: { authorization: "[redacted]" } }],
    });
  });

  it("give Bolt a Logger that honours setLevel and setName, through the same lines", () => {
    const spies = consoleSpies();
    const logger = boltLogger(LogLevel.WARN, "bolt-app");
    logger.info("not at warn");
    expect(spies.info).not.toHaveBeenCalled();
    logger.setLevel(LogLevel.DEBUG);
    logger.setName("web-api:WebClient:0");
    expect(logger.getLevel()).toBe(LogLevel.DEBUG);
    logger.debug("apiCall('chat.postMessage') start");
    logger.error(new Error("An API error occurred: channel_not_found"));
    expect(parse(spies.debug.mock.calls[0]?.[0])).toMatchObject({
      level: "debug",
      msg: "apiCall('chat.postMessage') start",
      logger: "web-api:WebClient:0",
    });
    expect(parse(spies.error.mock.calls[0]?.[0])).toMatchObject({
      level: "error",
      msg: "An API error occurred: channel_not_found",
      details: [{ name: "Error", message: "An API error occurred: channel_not_found" }],
    });
  });
});
