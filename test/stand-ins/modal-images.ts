// Images at the Modal stand-in beyond builds: filesystem snapshots (the router's
// TaskSnapshotFilesystem, which `Sandbox.snapshotFilesystem()` calls), their lifetime (the request's
// `ttlSeconds`, a hard cutoff from creation as Modal documents it), `ImageFromId` (what
// `images.fromId` calls), and what a sandbox's image is: the registry tag at the root of its layers
// (`images.fromRegistry(tag)` builds `FROM <tag>`) or the sandbox whose filesystem it copies.
// Unknown or expired image ids are refused the way Modal refuses them.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { ServerError, Status } from "nice-grpc";
import type { ModalStandIn, StandInSandbox } from "./modal";

const run = promisify(execFile);

/** What a sandbox was started from, for tests to assert. */
export interface SandboxImage {
  imageId: string;
  /** The `FROM` tag at the root of the image's layers (a snapshot's: its source sandbox's). */
  registryTag?: string;
  /** For a snapshot image: the sandbox whose filesystem it holds. */
  snapshotOf?: string;
}

export interface StandInSnapshot {
  imageId: string;
  sandboxId: string;
  /** The copy of the sandbox's `workspace/`, `tmp/` and `home/` at snapshot time. */
  dir: string;
  /** Epoch ms after which Modal no longer has the image; absent for `ttlSeconds: -1` (no expiry). */
  expiresAt?: number;
}

/** Modal's answer for an image id it does not have (the SDK maps it to `NotFoundError`). */
export function missingImage(imageId: string): ServerError {
  return new ServerError(Status.FAILED_PRECONDITION, `Could not find image with ID ${imageId}`);
}

/** Throws Modal's error unless `imageId` is a built image or a live snapshot; an expired one is dropped. */
export async function checkImage(state: ModalStandIn, imageId: string): Promise<void> {
  const snapshot = state.snapshots.get(imageId);
  if (snapshot?.expiresAt !== undefined && snapshot.expiresAt <= Date.now()) {
    state.snapshots.delete(imageId);
    state.images.delete(imageId);
    await rm(snapshot.dir, { recursive: true, force: true });
  }
  if (!state.images.has(imageId)) throw missingImage(imageId);
}

/** The registry tag and snapshot source of `imageId`, following its base layers. */
export function describeImage(state: ModalStandIn, imageId: string): SandboxImage {
  const snapshot = state.snapshots.get(imageId);
  if (snapshot) {
    const source = state.sandboxes.get(snapshot.sandboxId);
    const registryTag = source?.image.registryTag;
    return { imageId, snapshotOf: snapshot.sandboxId, ...(registryTag ? { registryTag } : {}) };
  }
  for (const line of state.images.get(imageId) ?? []) {
    if (state.images.has(line)) {
      const base = describeImage(state, line);
      if (base.registryTag) return { imageId, registryTag: base.registryTag };
    }
    const from = /^FROM\s+(\S+)/.exec(line.trim());
    if (from?.[1] && from[1] !== "base") return { imageId, registryTag: from[1] };
  }
  return { imageId };
}

async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  // `-a` keeps modes, symlinks and times, as a container filesystem snapshot does.
  await run("cp", ["-a", "--reflink=auto", `${from}/.`, to]);
}

/** The writable parts of a stand-in sandbox (everything else is the host's, read-only). */
const WRITABLE = ["workspace", "tmp", "home"];

/** Copies a snapshot's filesystem into a new sandbox's directory (before its first exec). */
export async function restoreSnapshot(snapshot: StandInSnapshot, sandboxDir: string): Promise<void> {
  for (const sub of WRITABLE) await copyTree(join(snapshot.dir, sub), join(sandboxDir, sub));
}

export interface SnapshotRequest {
  taskId: string;
  snapshotId: string;
  ttlSeconds?: number;
  containerId: string;
}

/**
 * `TaskSnapshotFilesystem`: the sandbox's filesystem copied now into a new image whose `ENV` is its
 * image's. Idempotent on `snapshotId` (the SDK retries with the same one).
 */
export async function snapshotFilesystem(
  state: ModalStandIn,
  root: string,
  sandbox: StandInSandbox,
  request: SnapshotRequest,
): Promise<{ imageId: string }> {
  if (sandbox.task.terminated)
    throw new ServerError(Status.FAILED_PRECONDITION, "the sandbox has terminated");
  if (request.containerId)
    throw new ServerError(Status.NOT_FOUND, `container ${request.containerId} not found`);
  const ttl = request.ttlSeconds;
  if (ttl === undefined || (ttl <= 0 && ttl !== -1))
    throw new ServerError(Status.INVALID_ARGUMENT, "ttl_seconds must be positive, or -1 for no expiry");
  const earlier = state.snapshotRequests.get(request.snapshotId);
  if (earlier && state.snapshots.get(earlier)?.sandboxId === sandbox.id) return { imageId: earlier };
  const imageId = `im-${randomBytes(11).toString("hex")}`;
  const dir = join(root, "snapshots", imageId);
  for (const sub of WRITABLE) await copyTree(join(sandbox.task.dir, sub), join(dir, sub));
  const snapshot: StandInSnapshot = {
    imageId,
    sandboxId: sandbox.id,
    dir,
    ...(ttl === -1 ? {} : { expiresAt: Date.now() + ttl * 1000 }),
  };
  // The snapshot's only "layer" is its source image, so it keeps that image's ENV (imageEnv follows it).
  state.images.set(imageId, [sandbox.image.imageId]);
  state.snapshots.set(imageId, snapshot);
  state.snapshotRequests.set(request.snapshotId, imageId);
  return { imageId };
}
