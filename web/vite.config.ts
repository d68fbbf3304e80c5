import { defineConfig } from "vitest/config";

// `npm run dev` serves the app on :5173 and sends the API (and its WebSocket) to a
// switchboard running on :18080 (SWITCHBOARD_DEV_API to change it). The Host header
// is passed through unchanged: the server accepts a cookie-authenticated WebSocket only
// from a page of the host it was sent to.
const api = process.env.SWITCHBOARD_DEV_API ?? "http://127.0.0.1:18080";

export default defineConfig({
  server: {
    proxy: {
      "/api": { target: api, ws: true },
      "/hooks": { target: api },
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    target: "es2022",
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    restoreMocks: true,
  },
});
