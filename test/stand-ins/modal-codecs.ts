// The gRPC service definitions (with their protobuf codecs) that the `modal` SDK itself uses. The
// package does not export them, so its own dist bundle is copied once, unchanged but for one added
// export line, into node_modules/.cache and imported from there: the stand-in speaks exactly the SDK's wire.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

/** The SDK version the stand-in is written against; a different installed version is refused. */
export const MODAL_SDK_VERSION = "0.11.1";

/** A ts-proto message codec, as nice-grpc's server uses it. */
export interface MessageCodec {
  encode(message: unknown): { finish(): Uint8Array };
  decode(input: Uint8Array): unknown;
  fromPartial(object: unknown): unknown;
}

export interface MethodDefinition {
  name: string;
  requestType: MessageCodec;
  requestStream: boolean;
  responseType: MessageCodec;
  responseStream: boolean;
  options: Record<string, unknown>;
}

export interface ServiceDefinition {
  name: string;
  fullName: string;
  methods: Record<string, MethodDefinition>;
}

export interface ModalDefinitions {
  control: ServiceDefinition;
  router: ServiceDefinition;
}

let loaded: Promise<ModalDefinitions> | undefined;

/** Loads `ModalClientDefinition` (control plane) and `TaskCommandRouterDefinition` from the SDK bundle. */
export function modalDefinitions(): Promise<ModalDefinitions> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    // "modal" resolves to dist/index.cjs under require; its package root is one level up from dist.
    const packageDir = dirname(dirname(require.resolve("modal")));
    const pkg = JSON.parse(await readFile(join(packageDir, "package.json"), "utf8")) as { version: string };
    if (pkg.version !== MODAL_SDK_VERSION)
      throw new Error(`the Modal stand-in is pinned to modal@${MODAL_SDK_VERSION}, found ${pkg.version}`);
    const bundle = await readFile(join(packageDir, "dist", "index.js"), "utf8");
    const root = dirname(dirname(packageDir));
    const cacheDir = join(root, "node_modules", ".cache", "modal-stand-in");
    await mkdir(cacheDir, { recursive: true });
    const file = join(cacheDir, `modal-${pkg.version}.mjs`);
    const extra =
      "\nexport { ModalClientDefinition as __control, TaskCommandRouterDefinition as __router };\n";
    // Written under a private name then renamed, so parallel test workers never import half a file.
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, bundle + extra);
    await rename(temp, file);
    const mod = (await import(pathToFileURL(file).href)) as {
      __control: ServiceDefinition;
      __router: ServiceDefinition;
    };
    return { control: mod.__control, router: mod.__router };
  })();
  return loaded;
}
