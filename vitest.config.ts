// Every test runs in Node; the Worker itself runs in real workerd, started by the e2e tests.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: end-to-end files each start workerd and a sandbox service.
    maxWorkers: 2,
  },
});
