/**
 * Where the bubblewrap binary is: `BWRAP_PATH` when set, else the first `bwrap` on the service's
 * PATH. A missing one is a `ServiceError` whose detail says how to fix it (install the Debian
 * package, or use the Modal backend), shown at service start and on every sandbox create.
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { ServiceError } from "./errors";

const REMEDY =
  "install it with `apt-get install -y bubblewrap` (Debian/Ubuntu; `dnf install bubblewrap` on Fedora), " +
  "or run the sandbox service with SANDBOX_BACKEND=modal";

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    // Missing, unreadable or not executable: all mean "not usable here".
    return false;
  }
}

/** The 503 a local sandbox create answers (and the service start prints) when bwrap is unusable. */
export function bubblewrapMissing(detail: string): ServiceError {
  return new ServiceError(503, "bubblewrap missing", `${detail}: ${REMEDY}`);
}

/** Finds bwrap from `env` (BWRAP_PATH, then PATH); throws `bubblewrapMissing` when there is none. */
export function locateBwrap(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.BWRAP_PATH;
  if (configured) {
    if (isExecutableFile(configured)) return configured;
    throw bubblewrapMissing(`BWRAP_PATH=${configured} is not an executable file`);
  }
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir.length === 0) continue;
    const candidate = join(dir, "bwrap");
    if (isExecutableFile(candidate)) return candidate;
  }
  throw bubblewrapMissing("bubblewrap (bwrap) is not on PATH");
}

/** Throws `bubblewrapMissing` unless `path` is still an executable file (it may be uninstalled later). */
export function checkBwrap(path: string): void {
  if (!isExecutableFile(path)) throw bubblewrapMissing(`${path} is not an executable file`);
}
