/** Bundles the Electron main, preload and backend host to dist-electron/*.cjs (`tsx electron/build.ts`). */
import { build } from 'esbuild';

await build({
  entryPoints: { main: 'electron/main.ts', preload: 'electron/preload.ts', 'backend-host': 'electron/backend-host.ts' },
  outdir: 'dist-electron', outExtension: { '.js': '.cjs' }, bundle: true, platform: 'node', format: 'cjs', target: 'node22',
  external: ['electron', 'better-sqlite3', 'better-sqlite3-electron'], sourcemap: 'linked', logLevel: 'info',
});
