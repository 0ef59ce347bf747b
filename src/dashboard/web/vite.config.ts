// Build of the dashboard's web UI: `npm run build:web` (or the server's ensureWebBundle) writes
// it to dist/web at the package root, which the dashboard serves. Relative asset paths, so the
// UI also works behind a path-prefixing proxy.
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  build: {
    outDir: '../../../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
  },
});
