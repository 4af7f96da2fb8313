import preact from "@preact/preset-vite";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [preact()],
  server: {
    // The Flask app serves /api; the dev server forwards to it so cookies stay same-origin.
    proxy: { "/api": "http://127.0.0.1:5000" },
  },
  build: { target: "es2022" },
  test: {
    environment: "node",
    setupFiles: ["src/test/setup.ts"],
    include: ["src/**/*.test.ts"],
  },
});
