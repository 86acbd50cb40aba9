/**
 * What the app knows about syncing with the central server (the backend's `sync.status`): kept
 * fresh from the `sync.status` event, after local edits, and by a slow poll that also moves
 * "last sync 2 min ago" along. When the browser says the network is back, a cycle starts at once.
 */
import { create } from 'zustand';
import type { SyncStatusDto } from '../backend/api/contract';
import type { Client } from './api/client';

export interface SyncState {
  status: SyncStatusDto | null;
  /** A clock for "2 min ago" labels (ms), advanced by the poll. */
  now: number;
}

export const useSync = create<SyncState>(() => ({ status: null, now: Date.now() }));

let current: Client | null = null;

export async function refreshSync(): Promise<void> {
  if (!current) return;
  const r = await current.send('sync.status', {});
  if (r.ok) useSync.setState({ status: r.value, now: Date.now() });
}

/** Subscribes to a client's sync status; returns the unsubscribe. */
export function startSync(client: Client, pollMs = 15_000): () => void {
  current = client;
  let soon: ReturnType<typeof setTimeout> | null = null;
  const later = () => { if (!soon) soon = setTimeout(() => { soon = null; void refreshSync(); }, 150); };
  const offs = [
    client.subscribe('sync.status', (s) => useSync.setState({ status: s, now: Date.now() })),
    client.subscribe('data.changed', later),
    client.onConnection((c) => { if (c === 'open') void refreshSync(); }),
  ];
  const poll = setInterval(() => { void refreshSync(); }, pollMs);
  const online = () => { if (useSync.getState().status?.configured) void client.send('sync.now', {}).then(() => refreshSync()); };
  if (typeof window !== 'undefined') window.addEventListener('online', online);
  void refreshSync();
  return () => {
    for (const off of offs) off();
    clearInterval(poll);
    if (soon) clearTimeout(soon);
    if (typeof window !== 'undefined') window.removeEventListener('online', online);
    if (current === client) current = null;
  };
}

/** "just now", "2 min ago", "3 h ago", "yesterday", "4 days ago", or null for never. */
export function ago(iso: string | null, nowMs: number): string | null {
  if (!iso) return null;
  const s = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
  if (s < 60) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  return d === 1 ? 'yesterday' : `${d} days ago`;
}
