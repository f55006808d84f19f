import { fileURLToPath } from "node:url";

import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) },
  },
  test: {
    include: ["tests/**/*.test.{ts,tsx}"],
    // Route tests share one PostgreSQL database: run files one after another.
    fileParallelism: false,
    setupFiles: ["tests/setup.ts"],
  },
});
