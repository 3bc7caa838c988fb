// The Modal stand-in's images as the real SDK sees them: an unknown image id refused the way Modal
// refuses it (the SDK's NotFoundError), and a sandbox made from a filesystem snapshot starting with
// the snapshotted files, not later ones.
import { ModalClient, NotFoundError } from "modal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ModalStandIn, startModalStandIn } from "./modal";

let modal: ModalStandIn;
beforeAll(async () => {
  modal = await startModalStandIn();
  process.env.MODAL_SERVER_URL = modal.url;
  process.env.MODAL_LOGLEVEL = "error";
});
afterAll(async () => {
  await modal?.close();
});

describe("the Modal stand-in's images, through the SDK", () => {
  it("refuses an unknown image id as Modal does, and copies a snapshot's filesystem into a sandbox made from it", async () => {
    const client = new ModalClient({ tokenId: modal.tokenId, tokenSecret: modal.tokenSecret });
    try {
      await expect(client.images.fromId("im-doesnotexist")).rejects.toBeInstanceOf(NotFoundError);
      const app = await client.apps.fromName("modal-env-sdk", { createIfMissing: true });
      const image = client.images.fromRegistry("debian:bookworm-slim");
      const source = await client.sandboxes.create(app, image, { workdir: "/workspace" });
      await (await source.exec(["sh", "-c", "echo before > /workspace/f; echo home > /root/h"])).wait();
      const snap = await source.snapshotFilesystem();
      await (await source.exec(["sh", "-c", "echo after > /workspace/f"])).wait();
      const again = await client.images.fromId(snap.imageId);
      const copy = await client.sandboxes.create(app, again, { workdir: "/workspace" });
      const read = await copy.exec(["sh", "-c", "cat /workspace/f /root/h"]);
      expect(await read.stdout.readText()).toBe("before\nhome\n");
      const record = [...modal.sandboxes.values()].find((s) => s.id === copy.sandboxId);
      expect(record?.image).toMatchObject({ imageId: snap.imageId, snapshotOf: source.sandboxId });
      expect(modal.unimplemented).toEqual([]);
      await source.terminate();
      await copy.terminate();
    } finally {
      client.close();
    }
  });
});
