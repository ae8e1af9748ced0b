import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Built into dist/console-web, not dist/console: tsc compiles src/console (the server's console API) into
// dist/console, and emptying that would delete server code. src/console/console-static.ts serves this directory.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  build: {
    outDir: '../dist/console-web',
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    // `npx vite --config console/vite.config.ts` for UI work against a running server (npm start listens on 4566).
    proxy: { '/console/api': process.env.SWITCHYARD_URL ?? 'http://127.0.0.1:4566' },
  },
});
