/** Sync with the central server: configure, status, sync now, resolve a conflict (backend/sync-host.ts does the work). */
import type { ConflictResolution } from '../api/contract';
import { fail, type Ctx, type HandlerMap } from './context';

function host(ctx: Ctx) {
  if (!ctx.sync) fail('internal', undefined, 'sync is not available in this process');
  return ctx.sync;
}

export const syncHandlers: HandlerMap = {
  'sync.configure': (a: { server_url: string | null; token?: string }, ctx) => host(ctx).configure(a.server_url, a.token),
  'sync.status': (_a, ctx) => host(ctx).status(),
  'sync.now': (_a, ctx) => host(ctx).now(),
  'sync.resolveConflict': (a: { entity_type: string; entity_id: string; resolution: ConflictResolution; reason: string }, ctx) =>
    host(ctx).resolve(a.entity_type, a.entity_id, a.resolution, a.reason),
};
