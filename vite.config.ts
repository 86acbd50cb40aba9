import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The renderer (React) built to dist-web/, served by web/server.ts and by Electron's app:// protocol.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist-web',
    emptyOutDir: true,
    target: 'chrome120',
    // No inline scripts or styles: the CSP allows only 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
});
