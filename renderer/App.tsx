import { useApp, navigate, type Route } from './store';
import { SiteOverview } from './screens/SiteOverview';
import { GrowthAnalysis } from './screens/GrowthAnalysis';
import { DataEntryScreen } from './screens/DataEntry';
import { ImportExport } from './screens/ImportExport';
import { SyncScreen } from './screens/Sync';
import { fmtDate } from './format';
import { useEffect } from 'react';
import { ago, startSync, useSync } from './sync-store';

export function App() {
  const route = useApp((s) => s.route);
  const site = useApp((s) => s.site);
  const loadError = useApp((s) => s.loadError);
  const client = useApp((s) => s.client);
  useEffect(() => (client ? startSync(client) : undefined), [client]);
  return (
    <div className="app">
      <header className="topbar">
        <a className="brand" href="#/" onClick={(e) => { e.preventDefault(); navigate({ screen: 'overview' }); }}>
          <img src="./icon.svg" alt="" width={22} height={22} /> AquaMind Site
        </a>
        <span className="site-name" title={site ? `${site.name} · today ${fmtDate(site.today)}` : undefined}>{site ? `${site.name} · today ${fmtDate(site.today)}` : 'Opening the site…'}</span>
        <nav>
          <NavLink to={{ screen: 'overview' }} label="Overview" active={route.screen === 'overview'} />
          <NavLink to={{ screen: 'entry', batchId: route.screen === 'batch' ? route.batchId : route.screen === 'entry' ? route.batchId : null }} label="Data entry" active={route.screen === 'entry'} />
          <NavLink to={{ screen: 'import' }} label="Import / export" active={route.screen === 'import'} />
          <NavLink to={{ screen: 'sync' }} label="Sync" active={route.screen === 'sync'} />
        </nav>
        <SyncStatus />
      </header>
      {loadError && <div className="banner error" role="alert">{loadError}</div>}
      <main>
        {route.screen === 'overview' && <SiteOverview />}
        {route.screen === 'batch' && <GrowthAnalysis key={route.batchId} batchId={route.batchId} />}
        {route.screen === 'entry' && <DataEntryScreen batchId={route.batchId} />}
        {route.screen === 'import' && <ImportExport />}
        {route.screen === 'sync' && <SyncScreen />}
      </main>
    </div>
  );
}

function NavLink({ to, label, active }: { to: Route; label: string; active: boolean }) {
  return <button type="button" className={active ? 'nav active' : 'nav'} onClick={() => navigate(to)}>{label}</button>;
}

/** Local backend connection, network state, and the sync with the central server (pending, last sync, problems). */
function SyncStatus() {
  const connection = useApp((s) => s.connection);
  const online = useApp((s) => s.online);
  const lastFresh = useApp((s) => s.lastFresh);
  const stale = useApp((s) => s.batches.filter((b) => b.stale).length);
  const sync = useSync((s) => s.status);
  const now = useSync((s) => s.now);
  const last = ago(sync?.last_sync_at ?? null, now);
  const problems = sync ? sync.conflicts.length + sync.rejected.length : 0;
  const serverDown = !!sync?.configured && (sync.online === false || (!!sync.last_error && !last));
  const syncText = !sync ? 'Sync: …'
    : !sync.configured ? `Sync: not set up${sync.pending ? ` · ${sync.pending.toLocaleString('en-GB')} to send` : ''}`
      : `${sync.in_flight ? 'Syncing… · ' : ''}${sync.pending ? `${sync.pending.toLocaleString('en-GB')} to send` : 'All sent'} · ${last ? `synced ${last}` : 'never synced'}`;
  const title = [
    connection === 'open' ? 'Local database: connected' : connection === 'connecting' ? 'Local database: connecting…' : 'Local database: connection lost, retrying',
    online ? 'Network: online' : 'Network: offline (everything keeps working on this computer)',
    !sync ? '' : !sync.configured ? 'Sync to the central server: not set up on this laptop (open Sync to set it up)'
      : `Sync server: ${sync.server_url ?? ''}\nChanges waiting to be sent: ${sync.pending}\nLast sync: ${sync.last_sync_at ? new Date(sync.last_sync_at).toLocaleString('en-GB') : 'never'}`
        + (sync.last_error ? `\nLast error: ${sync.last_error}` : ''),
    lastFresh ? `Last recompute: ${new Date(lastFresh).toLocaleTimeString('en-GB')}` : '',
  ].filter(Boolean).join('\n');
  return (
    <div className="sync" title={title} data-testid="sync-status">
      <span className={`dot ${connection === 'open' ? 'ok' : 'bad'}`} />
      <span>{connection === 'open' ? 'Saved locally' : 'Reconnecting…'}</span>
      {(!online || !sync?.configured) && <span className={online ? 'pill' : 'pill warn'}>{online ? 'Online' : 'Offline'}</span>}
      <button type="button" className="sync-link" onClick={() => navigate({ screen: 'sync' })} data-testid="sync-indicator">
        <span className={`dot ${!sync?.configured ? 'idle' : serverDown ? 'warn' : sync.last_error ? 'bad' : 'ok'}`} />
        <span data-testid="sync-pending">{syncText}</span>
        {serverDown && <span className="pill warn" title="The sync server cannot be reached: changes wait on this laptop">server offline</span>}
        {!serverDown && sync?.last_error && <span className="pill warn">sync error</span>}
        {problems > 0 && <span className="pill bad-pill">{sync!.conflicts.length ? `${sync!.conflicts.length} conflict${sync!.conflicts.length === 1 ? '' : 's'}` : ''}{sync!.conflicts.length && sync!.rejected.length ? ', ' : ''}{sync!.rejected.length ? `${sync!.rejected.length} rejected` : ''}</span>}
      </button>
      {stale > 0 && <span className="muted">{stale} recomputing</span>}
    </div>
  );
}
