/**
 * `npm run web`: the renderer in a browser, against the same backend. A Node HTTP server on
 * 127.0.0.1 serves the built renderer (`dist-web/`, from `vite build`) with a strict CSP, and a
 * WebSocket on the same port bridges the typed API: `{id, method, args}` → `{id, result}`, events
 * pushed as `{event, data}`. It validates nothing itself: the backend validates every call.
 *
 *   tsx web/server.ts [--port 5174] [--db FILE | --data-dir DIR] [--empty]
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { homedir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiEventName, Method } from '../backend/api/contract';
import { createBackend, type Backend } from '../backend/core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EVENTS: ApiEventName[] = ['states.fresh', 'recompute.progress', 'data.changed', 'import.progress', 'sync.status'];
const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

export const CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
  "connect-src 'self'", "manifest-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
  '.json': 'application/json', '.woff2': 'font/woff2', '.map': 'application/json',
};

export interface ServerOptions {
  port?: number;
  dbPath: string;
  /** Folder with the built renderer (default `dist-web/`). */
  staticDir?: string;
  init?: 'demo' | 'empty';
  actor?: string;
  /** Inject a clock (tests); defaults to the system clock. */
  clock?: () => Date;
  log?: (line: string) => void;
}

export interface RunningServer { url: string; port: number; backend: Promise<Backend>; close(): Promise<void> }

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const staticDir = resolve(opts.staticDir ?? join(ROOT, 'dist-web'));
  mkdirSync(dirname(opts.dbPath), { recursive: true });
  const backendP = createBackend({
    dbPath: opts.dbPath, actor: opts.actor ?? 'web', recompute: 'sync', init: opts.init ?? 'demo', clock: opts.clock,
    onInitProgress: (p) => log(`preparing the site: ${p.phase} (${p.done}/${p.total})`),
  });
  backendP.catch((e: unknown) => log(`the backend failed to start: ${(e as Error).message}`));

  let port = opts.port ?? 5174;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

  const http = createServer((req, res) => serveStatic(req, res));
  function serveStatic(req: IncomingMessage, res: ServerResponse) {
    if (!allowedHosts().has(req.headers.host ?? '')) { res.writeHead(421).end('misdirected request'); return; }
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, { allow: 'GET, HEAD' }).end(); return; }
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(staticDir, path));
    if (file !== staticDir && !file.startsWith(staticDir + sep)) { res.writeHead(403).end(); return; }
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(staticDir, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('dist-web/ is missing: run `npx vite build` first');
      return;
    }
    const headers: Record<string, string> = {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin', 'cache-control': file.endsWith('index.html') ? 'no-cache' : 'max-age=31536000, immutable',
    };
    res.writeHead(200, headers);
    if (req.method === 'HEAD') res.end(); else res.end(readFileSync(file));
  }

  const wss = new WebSocketServer({
    noServer: true, maxPayload: MAX_MESSAGE_BYTES,
    // Large answers (a batch's per-container states, MBs of JSON) go compressed: Chromium stalls its
    // next frames for a while after receiving a message of several MB (measured by bench/ui.ts).
    perMessageDeflate: { threshold: 64 * 1024, zlibDeflateOptions: { level: 1 }, serverNoContextTakeover: true, clientNoContextTakeover: true },
  });
  http.on('upgrade', (req, socket, head) => {
    const origin = req.headers.origin ?? '';
    const okOrigin = [...allowedHosts()].some((h) => origin === `http://${h}`);
    if (!allowedHosts().has(req.headers.host ?? '') || !okOrigin || new URL(req.url ?? '/', 'http://x').pathname !== '/api') {
      socket.write('HTTP/1.1 403 Forbidden\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const clients = new Set<WebSocket>();
  void backendP.then((backend) => {
    for (const e of EVENTS) {
      backend.on(e, (data) => {
        const text = JSON.stringify({ event: e, data });
        for (const c of clients) if (c.readyState === c.OPEN) c.send(text);
      });
    }
  }, () => {});

  wss.on('connection', (ws) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('message', async (raw) => {
      let msg: { id?: unknown; method?: unknown; args?: unknown };
      try { msg = JSON.parse(String(raw)) as typeof msg; } catch { return; }
      if (typeof msg !== 'object' || msg === null || typeof msg.id !== 'number') return;
      let result;
      try {
        const backend = await backendP;
        // The backend checks the method name and validates the arguments.
        result = await backend.call(String(msg.method) as Method, msg.args as never);
      } catch (e) {
        result = { ok: false, error: { code: 'internal', message: `the backend is not available: ${(e as Error).message}` } };
      }
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: msg.id, result }));
    });
  });

  await new Promise<void>((res, rej) => {
    http.once('error', rej);
    http.listen(port, '127.0.0.1', () => res());
  });
  const addr = http.address();
  if (addr && typeof addr === 'object') port = addr.port;
  const url = `http://127.0.0.1:${port}/`;
  return {
    url, port, backend: backendP,
    async close() {
      for (const c of clients) c.terminate();
      wss.close();
      await new Promise<void>((r) => http.close(() => r()));
      const b = await backendP.catch(() => null);
      await b?.close();
    },
  };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export function defaultDataDir(): string {
  if (process.env.AQUAMIND_DATA_DIR) return process.env.AQUAMIND_DATA_DIR;
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'AquaMind Site');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'AquaMind Site');
  return join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'aquamind-site');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const port = Number(arg('port') ?? process.env.PORT ?? 5174);
  const dbPath = resolve(arg('db') ?? join(arg('data-dir') ?? defaultDataDir(), 'site.db'));
  if (!existsSync(join(ROOT, 'dist-web', 'index.html'))) console.error('note: dist-web/ is missing; run `npx vite build` (npm run build:web) first');
  const s = await startServer({ port, dbPath, init: process.argv.includes('--empty') ? 'empty' : 'demo' });
  console.log(`AquaMind Site: ${s.url}  (database ${dbPath})`);
  await s.backend;
  console.error('the site is ready');
  const stop = () => { void s.close().then(() => process.exit(0)); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
