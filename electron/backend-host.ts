/**
 * Runs in Electron's utility process: the same backend core as web/server.ts, answering
 * `{id, method, args}` with `{id, result}` and pushing `{event, data}` on every renderer port.
 * A long SQLite write or recompute here never freezes the window.
 */
import type { ApiEventName, Method } from '../backend/api/contract';
import { createBackend } from '../backend/core';

interface PortLike { on(ev: 'message', fn: (e: { data: unknown }) => void): void; on(ev: 'close', fn: () => void): void; postMessage(m: unknown): void; start(): void }
interface ParentPort { on(ev: 'message', fn: (e: { data: unknown; ports: PortLike[] }) => void): void }

const parentPort = (process as unknown as { parentPort: ParentPort }).parentPort;
const dbPath = process.argv[process.argv.length - 1]!;
const ports = new Set<PortLike>();
const EVENTS: ApiEventName[] = ['states.fresh', 'recompute.progress', 'data.changed', 'import.progress', 'sync.status'];

const backendP = createBackend({ dbPath, actor: 'desktop', recompute: 'sync' });
void backendP.then((b) => {
  for (const e of EVENTS) b.on(e, (data) => { const text = JSON.stringify({ event: e, data }); for (const p of ports) p.postMessage(text); });
});

parentPort.on('message', (e) => {
  const msg = e.data as { type?: string };
  if (msg.type === 'stop') { void backendP.then((b) => b.close()).finally(() => process.exit(0)); return; }
  if (msg.type !== 'port' || !e.ports[0]) return;
  const port = e.ports[0];
  ports.add(port);
  port.on('close', () => ports.delete(port));
  port.on('message', async (ev) => {
    let req: { id?: unknown; method?: unknown; args?: unknown };
    try { req = JSON.parse(String(ev.data)) as typeof req; } catch { return; }
    if (typeof req?.id !== 'number') return;
    let result;
    try { result = await (await backendP).call(String(req.method) as Method, req.args as never); } catch (err) {
      result = { ok: false, error: { code: 'internal', message: `the backend is not available: ${(err as Error).message}` } };
    }
    port.postMessage(JSON.stringify({ id: req.id, result }));
  });
  port.start();
});
