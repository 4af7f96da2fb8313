import preact from "@preact/preset-vite";
import { VitePWA } from "vite-plugin-pwa";
import { defineConfig } from "vitest/config";

/**
 * Modules only the console (console.html, src/console/) loads: its own code and
 * ECharts. Their chunks go to assets/console/, which the service worker does not
 * precache: a phone never downloads the back office.
 */
const CONSOLE_ONLY = /\/src\/console\/|\/node_modules\/(echarts|zrender|tslib)\//;

function consoleChunk(moduleIds: string[]): boolean {
  const own = moduleIds.filter((id) => !id.startsWith("\0"));
  return own.length > 0 && own.every((id) => CONSOLE_ONLY.test(id));
}

export default defineConfig({
  plugins: [
    preact(),
    VitePWA({
      // Our own worker (src/sw.ts); Workbox only fills in the precache list.
      strategies: "injectManifest",
      srcDir: "src",
      filename: "sw.ts",
      // src/pwa.ts registers it through `virtual:pwa-register` (so nothing is injected)
      // and asks the user before a new version takes over.
      injectRegister: false,
      registerType: "prompt",
      // The manifest and its icons are added by the plugin; list the rest of the shell.
      // The console is online only: its page and chunks stay out of the precache.
      injectManifest: {
        globPatterns: ["**/*.{js,css,html}"],
        globIgnores: ["console.html", "assets/console/**"],
      },
      includeAssets: ["icons/apple-touch-icon.png"],
      manifest: {
        name: "Fieldbook 客户经理",
        short_name: "Fieldbook",
        description: "客户经理工作台 · The account manager's workbench",
        lang: "zh-CN",
        start_url: "/",
        scope: "/",
        display: "standalone",
        orientation: "portrait",
        background_color: "#ffffff",
        theme_color: "#1f4e79",
        icons: [
          { src: "/icons/icon-192.png", sizes: "192x192", type: "image/png" },
          { src: "/icons/icon-512.png", sizes: "512x512", type: "image/png" },
          {
            src: "/icons/maskable-512.png",
            sizes: "512x512",
            type: "image/png",
            purpose: "maskable",
          },
        ],
      },
    }),
  ],
  server: {
    // The Flask app serves /api; the dev server forwards to it so cookies stay same-origin.
    proxy: { "/api": "http://127.0.0.1:5000" },
  },
  build: {
    target: "es2022",
    // Two pages, one build: the phone app and the console share preact, signals and
    // the i18n core as common chunks; each loads only its own screens.
    manifest: true,
    // ECharts' chunk (echarts/core, bar and line charts) is about 520 kB before gzip; it
    // loads only on the console's chart screens (bench/bundle_size.py reports it).
    chunkSizeWarningLimit: 600,
    rolldownOptions: {
      input: {
        index: "index.html",
        console: "console.html",
      },
      output: {
        entryFileNames: (chunk) =>
          chunk.name === "console" ? "assets/console/[name]-[hash].js" : "assets/[name]-[hash].js",
        chunkFileNames: (chunk) =>
          consoleChunk(chunk.moduleIds)
            ? "assets/console/[name]-[hash].js"
            : "assets/[name]-[hash].js",
        assetFileNames: (asset) =>
          asset.names.every((name) => name.startsWith("console"))
            ? "assets/console/[name]-[hash][extname]"
            : "assets/[name]-[hash][extname]",
      },
    },
  },
  test: {
    environment: "node",
    setupFiles: ["src/test/setup.ts"],
    include: ["src/**/*.test.ts"],
  },
});
