// Headless Chromium for the job page's tests: Debian's /usr/bin/chromium (`.ci/run` installs it)
// driven by playwright-core, which never downloads a browser. Each page is watched for console
// errors, uncaught exceptions and every request it makes, so a test can say "nothing went to
// another origin" and "nothing complained".
import { type Browser, chromium, type Page, type Request } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launchBrowser(): Promise<Browser> {
  // --no-sandbox: the tests run in containers without the user namespaces Chromium's sandbox needs.
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ["--no-sandbox"] });
}

export interface PageWatch {
  /** Console messages of type `error`, and uncaught exceptions. */
  errors: string[];
  requests: Request[];
  /** Requests that went anywhere but `origin` (data: URLs are not requests to an origin). */
  foreign(): string[];
}

export function watchPage(page: Page, origin: string): PageWatch {
  const errors: string[] = [];
  const requests: Request[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("request", (request) => requests.push(request));
  return {
    errors,
    requests,
    foreign: () =>
      requests
        .map((r) => r.url())
        .filter((url) => !url.startsWith("data:") && new URL(url).origin !== origin),
  };
}
