/**
 * The Modal backend's app and the images its sandboxes start from: the service's image
 * (SANDBOX_IMAGE, or the default Debian one built from `DEFAULT_IMAGE_COMMANDS`), a repository's
 * devcontainer `image` (a registry tag, with /workspace made in it), and a cached environment's
 * snapshot image (by id). Each build is made once per process and shared; Modal itself caches
 * builds by content, so a second process's build is a lookup.
 */
import { type App, type Image, type ModalClient, NotFoundError } from "modal";
import type { ModalBackendOptions } from "./modal-config";
import { DEFAULT_BASE_IMAGE, DEFAULT_IMAGE_COMMANDS } from "./modal-config";
import { MODAL_WORKDIR } from "./modal-exec";

/** A promise that forgets itself when it fails, so the next call tries again. */
function retrying<T>(slot: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let made = slot.get(key);
  if (!made) {
    made = make();
    slot.set(key, made);
    made.catch(() => {
      if (slot.get(key) === made) slot.delete(key);
    });
  }
  return made;
}

export class ModalImages {
  private readonly apps = new Map<string, Promise<App>>();
  private readonly built = new Map<string, Promise<Image>>();

  constructor(
    private readonly client: ModalClient,
    private readonly options: Pick<ModalBackendOptions, "appName" | "image">,
  ) {}

  /** The backend's app, created when missing. */
  app(): Promise<App> {
    return retrying(this.apps, this.options.appName, () =>
      this.client.apps.fromName(this.options.appName, { createIfMissing: true }),
    );
  }

  /** The service's own image: what a sandbox without a devcontainer image starts from. */
  base(): Promise<Image> {
    return retrying(this.built, "\0base", async () => {
      const app = await this.app();
      const base = this.client.images.fromRegistry(this.options.image ?? DEFAULT_BASE_IMAGE);
      const image = this.options.image ? base : base.dockerfileCommands(DEFAULT_IMAGE_COMMANDS);
      return image.build(app);
    });
  }

  /**
   * A devcontainer's `image`, pulled by Modal from its registry, as it is but for the workdir the
   * backend runs in. It has to bring what the backend's commands use: git, bash and coreutils'
   * `timeout` (the Dev Containers images do; Alpine ones lack bash).
   */
  registry(tag: string): Promise<Image> {
    return retrying(this.built, tag, async () => {
      const app = await this.app();
      const image = this.client.images
        .fromRegistry(tag)
        .dockerfileCommands([`RUN mkdir -p ${MODAL_WORKDIR}`]);
      return image.build(app);
    });
  }

  /** A snapshot image by id; `undefined` when Modal no longer has it (its lifetime ran out). */
  async snapshot(imageId: string): Promise<Image | undefined> {
    try {
      return await this.client.images.fromId(imageId);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }
}
