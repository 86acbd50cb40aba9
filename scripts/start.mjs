#!/usr/bin/env node
// `npm start`: builds the renderer and the Electron shell, then opens the desktop app. The Electron
// binary is downloaded on its first run; where that cannot happen (no network to its release
// host, or no display), the same app is served to a local browser instead (`npm run web`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

run(process.execPath, ['--import', 'tsx', 'electron/build.ts']);
run(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn']);

function electronBinary() {
  const pkg = join(root, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile)) {
    console.log('Downloading the Electron binary (once)…');
    const r = spawnSync(process.execPath, [join(pkg, 'install.js')], { cwd: pkg, stdio: 'inherit', timeout: 180_000 });
    if (r.status !== 0 || !existsSync(pathFile)) return null;
  }
  const bin = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

function web(reason) {
  console.log(`\n${reason}\nServing AquaMind Site to your browser instead:\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', 'web/server.ts', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
}

const bin = electronBinary();
const headless = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
if (!bin) web('The Electron binary could not be downloaded.');
else if (headless) web('There is no display for a desktop window.');
else {
  void require;
  const child = spawn(bin, ['.', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
}
