import { defineConfig } from "vite";
import solid from "vite-plugin-solid";
import { precompress } from "./tools/precompress";

// During development, proxy the API and Socket.IO to a running jarvisd (JARVIS_URL), rewriting
// Origin to the target's since jarvisd checks it.
const target = process.env.JARVIS_URL ?? "http://127.0.0.1:8080";
const proxy = {
  target,
  changeOrigin: true,
  ws: true,
  headers: { origin: target },
};

export default defineConfig({
  plugins: [solid(), precompress({ budgetBytes: 250_000 })],
  build: {
    target: "es2020",
    modulePreload: { polyfill: false },
    cssCodeSplit: true,
    sourcemap: !!process.env.JARVIS_SOURCEMAP, minify: !process.env.JARVIS_NOMINIFY,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 600,
  },
  server: { proxy: { "/api": proxy, "/socket.io": proxy } },
  preview: { proxy: { "/api": proxy, "/socket.io": proxy } },
});
