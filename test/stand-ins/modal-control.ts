// The Modal control-plane calls the stand-in answers (modal.client.ModalClient): auth token, environment,
// apps, images (built instantly; by id, snapshots included: modal-images.ts), and V2 sandboxes — create, task id, router access, list by tag,
// tags, lookup by name (V1 and V2 calls), wait, terminate. Token id and secret are checked on every call.
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { type CallContext, ServerError, Status } from "nice-grpc";
import type { Handler, ModalStandIn, StandInSandbox } from "./modal";
import { fakeJwt } from "./modal";
import { checkImage, describeImage, restoreSnapshot } from "./modal-images";
import { StandInTask } from "./modal-task";

interface Tag {
  tagName: string;
  tagValue: string;
}

export interface ControlSettings {
  root: string;
  exposed: string[];
  routerUrl(): string;
  routerJwt: string;
}

const id = (prefix: string): string => `${prefix}-${randomBytes(11).toString("hex")}`;

/**
 * The `ENV` settings of an image and its bases (base first, so the image's own win), from the
 * commands `ImageGetOrCreate` recorded: `ENV K=V K2=V2` or the legacy `ENV K V`, unquoted.
 */
export function imageEnv(images: Map<string, string[]>, imageId: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of images.get(imageId) ?? []) {
    if (images.has(line)) Object.assign(env, imageEnv(images, line));
    const match = /^ENV\s+(.+)$/.exec(line.trim());
    if (!match?.[1]) continue;
    const words = match[1].trim().split(/\s+/);
    if (!words[0]?.includes("=")) env[words[0] ?? ""] = words.slice(1).join(" ");
    else
      for (const word of words) {
        const at = word.indexOf("=");
        if (at > 0) env[word.slice(0, at)] = word.slice(at + 1);
      }
  }
  return env;
}

/** The handlers by SDK method key (camelCase), each checking the caller's token first. */
export function controlHandlers(state: ModalStandIn, settings: ControlSettings): Record<string, Handler> {
  const auth = (context: CallContext): void => {
    const tokenId = context.metadata.get("x-modal-token-id");
    const tokenSecret = context.metadata.get("x-modal-token-secret");
    if (tokenId !== state.tokenId || tokenSecret !== state.tokenSecret)
      throw new ServerError(Status.UNAUTHENTICATED, "Invalid token id or secret");
  };
  const sandbox = (sandboxId: string): StandInSandbox => {
    const found = state.sandboxes.get(sandboxId);
    if (!found) throw new ServerError(Status.NOT_FOUND, `Sandbox ${sandboxId} not found`);
    return found;
  };
  const runningByName = (r: { appName: string; sandboxName: string }): { sandboxId: string } => {
    const appId = state.apps.get(r.appName);
    if (!appId) throw new ServerError(Status.NOT_FOUND, `App '${r.appName}' not found`);
    const found = state.live().find((s) => s.appId === appId && s.name === r.sandboxName);
    if (!found) throw new ServerError(Status.NOT_FOUND, `Sandbox '${r.sandboxName}' not found`);
    return { sandboxId: found.id };
  };
  const handlers = {
    authTokenGet: () => ({ token: fakeJwt("client") }),
    environmentGetOrCreate: () => ({
      environmentId: "en-standin",
      metadata: { name: "main", settings: { imageBuilderVersion: "2025.06", webhookSuffix: "" } },
    }),
    appGetOrCreate: (r: { appName: string; objectCreationType: number }) => {
      let appId = state.apps.get(r.appName);
      if (!appId) {
        if (r.objectCreationType !== 1)
          throw new ServerError(Status.NOT_FOUND, `App '${r.appName}' not found`);
        appId = id("ap");
        state.apps.set(r.appName, appId);
      }
      return { appId };
    },
    imageGetOrCreate: async (r: {
      image?: { dockerfileCommands: string[]; baseImages: { imageId: string }[] };
    }) => {
      for (const base of r.image?.baseImages ?? []) await checkImage(state, base.imageId);
      const commands = [
        ...(r.image?.baseImages ?? []).map((b) => b.imageId),
        ...(r.image?.dockerfileCommands ?? []),
      ];
      const imageId = `im-${createHash("sha256").update(JSON.stringify(commands)).digest("hex").slice(0, 22)}`;
      state.images.set(imageId, commands);
      return { imageId, result: { status: 1 } };
    },
    imageFromId: async (r: { imageId: string }) => {
      await checkImage(state, r.imageId);
      return { imageId: r.imageId };
    },
    sandboxCreateV2: async (r: { appId: string; tags: Tag[]; definition?: Record<string, unknown> }) => {
      const definition = r.definition ?? {};
      const name = String(definition.name ?? "");
      if (name && state.live().some((s) => s.appId === r.appId && s.name === name))
        throw new ServerError(Status.ALREADY_EXISTS, `Sandbox with name '${name}' already exists`);
      const imageId = String(definition.imageId ?? "");
      await checkImage(state, imageId);
      const sandboxId = id("sbx");
      const env = imageEnv(state.images, imageId);
      const dir = join(settings.root, sandboxId);
      const task = await StandInTask.create(dir, settings.exposed, env);
      const snapshot = state.snapshots.get(imageId);
      // A sandbox from a snapshot image starts with a copy of the snapshotted filesystem.
      if (snapshot) await restoreSnapshot(snapshot, dir);
      const tags = Object.fromEntries(r.tags.map((t) => [t.tagName, t.tagValue]));
      const record: StandInSandbox = {
        id: sandboxId,
        taskId: id("ta"),
        appId: r.appId,
        name,
        tags,
        createdAt: Date.now() / 1000,
        definition,
        image: describeImage(state, imageId),
        task,
      };
      state.sandboxes.set(sandboxId, record);
      const commandRouterAccess = { url: settings.routerUrl(), jwt: settings.routerJwt };
      return { sandboxId, taskId: record.taskId, tunnels: [], commandRouterAccess };
    },
    sandboxGetTaskIdV2: (r: { sandboxId: string }) => {
      const found = sandbox(r.sandboxId);
      return found.task.terminated
        ? { taskResult: { status: 3, exception: "terminated" } }
        : { taskId: found.taskId };
    },
    sandboxGetCommandRouterAccess: (r: { sandboxId: string }) => {
      sandbox(r.sandboxId);
      return { url: settings.routerUrl(), jwt: settings.routerJwt };
    },
    sandboxListV2: (r: { appId?: string; tags: Tag[]; beforeTimestamp?: number }) => {
      if (r.beforeTimestamp) return { sandboxes: [] };
      const matching = state
        .live()
        .filter((s) => !r.appId || s.appId === r.appId)
        .filter((s) => r.tags.every((t) => s.tags[t.tagName] === t.tagValue))
        .sort((a, b) => b.createdAt - a.createdAt);
      return {
        sandboxes: matching.map((s) => ({
          id: s.id,
          createdAt: s.createdAt,
          appId: s.appId,
          name: s.name,
          tags: Object.entries(s.tags).map(([tagName, tagValue]) => ({ tagName, tagValue })),
        })),
      };
    },
    sandboxTagsGetV2: (r: { sandboxId: string }) => ({
      tags: Object.entries(sandbox(r.sandboxId).tags).map(([tagName, tagValue]) => ({ tagName, tagValue })),
    }),
    // V1 and V2 lookups alike: only a running sandbox of that name in that app, else NOT_FOUND.
    sandboxGetFromName: (r: { appName: string; sandboxName: string }) => runningByName(r),
    sandboxGetFromNameV2: (r: { appName: string; sandboxName: string }) => runningByName(r),
    sandboxWaitV2: (r: { sandboxId: string }) => {
      const found = sandbox(r.sandboxId);
      return found.task.terminated ? { result: { status: 3 } } : {};
    },
    sandboxTerminateV2: async (r: { sandboxId: string }) => {
      const found = sandbox(r.sandboxId);
      if (!found.task.terminated) await found.task.terminate();
      return {};
    },
  };
  const checked: Record<string, Handler> = {};
  for (const [key, handler] of Object.entries(handlers)) {
    checked[key] = ((request: never, context: CallContext) => {
      auth(context);
      return (handler as (r: never) => unknown)(request);
    }) as Handler;
  }
  return checked;
}
