/**
 * The preload (sandboxed): exposes `window.aquamind`, a narrow bridge carrying JSON messages to and
 * from the backend's utility process over a MessagePort. Never raw ipcRenderer.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { AquamindBridge } from '../renderer/api/bridge';

let port: MessagePort | null = null;
const queue: string[] = [];
const listeners = new Set<(m: string) => void>();

ipcRenderer.on('aquamind:port', (e) => {
  port = e.ports[0] ?? null;
  if (!port) return;
  port.onmessage = (ev: MessageEvent) => { if (typeof ev.data === 'string') for (const fn of listeners) fn(ev.data); };
  port.start();
  for (const m of queue.splice(0)) port.postMessage(m);
});
ipcRenderer.send('aquamind:hello');

const bridge: AquamindBridge = {
  send(message: string) {
    if (typeof message !== 'string' || message.length > 8 * 1024 * 1024) return;
    if (port) port.postMessage(message); else queue.push(message);
  },
  onMessage(fn: (message: string) => void) {
    listeners.add(fn);
    return () => { listeners.delete(fn); };
  },
  platform: process.platform,
};
contextBridge.exposeInMainWorld('aquamind', bridge);
