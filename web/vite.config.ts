// Vite build of the web console: sources in web/src, output in web/dist (git-ignored), served by
// functions/web.http.ts under /api/console/. `npm run build:web` runs it; `npx vite web` serves
// it for development with /api proxied to the local host on 127.0.0.1:7071.
import { fileURLToPath } from 'node:url';

import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/api/console/',
  logLevel: 'warn',
  // functions/web.http.ts replaces this placeholder with a fresh nonce per page load; the editor
  // passes it to CodeMirror (EditorView.cspNonce) for the <style> element it injects.
  html: { cspNonce: '__CSP_NONCE__' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The strict CSP allows no inline script: keep the preload polyfill out of index.html.
    modulePreload: { polyfill: false },
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    host: '127.0.0.1',
    proxy: { '/api': { target: 'http://127.0.0.1:7071', changeOrigin: false } },
  },
});
