import { useApp, navigate, type Route } from './store';
import { SiteOverview } from './screens/SiteOverview';
import { GrowthAnalysis } from './screens/GrowthAnalysis';
import { DataEntryScreen } from './screens/DataEntry';
import { ImportExport } from './screens/ImportExport';
import { fmtDate } from './format';

export function App() {
  const route = useApp((s) => s.route);
  const site = useApp((s) => s.site);
  const loadError = useApp((s) => s.loadError);
  return (
    <div className="app">
      <header className="topbar">
        <a className="brand" href="#/" onClick={(e) => { e.preventDefault(); navigate({ screen: 'overview' }); }}>
          <img src="./icon.svg" alt="" width={22} height={22} /> AquaMind Site
        </a>
        <span className="site-name">{site ? `${site.name} · today ${fmtDate(site.today)}` : 'Opening the site…'}</span>
        <nav>
          <NavLink to={{ screen: 'overview' }} label="Overview" active={route.screen === 'overview'} />
          <NavLink to={{ screen: 'entry', batchId: route.screen === 'batch' ? route.batchId : route.screen === 'entry' ? route.batchId : null }} label="Data entry" active={route.screen === 'entry'} />
          <NavLink to={{ screen: 'import' }} label="Import / export" active={route.screen === 'import'} />
        </nav>
        <SyncStatus />
      </header>
      {loadError && <div className="banner error" role="alert">{loadError}</div>}
      <main>
        {route.screen === 'overview' && <SiteOverview />}
        {route.screen === 'batch' && <GrowthAnalysis key={route.batchId} batchId={route.batchId} />}
        {route.screen === 'entry' && <DataEntryScreen batchId={route.batchId} />}
        {route.screen === 'import' && <ImportExport />}
      </main>
    </div>
  );
}

function NavLink({ to, label, active }: { to: Route; label: string; active: boolean }) {
  return <button type="button" className={active ? 'nav active' : 'nav'} onClick={() => navigate(to)}>{label}</button>;
}

/** Local backend connection, network state, and what the site knows about syncing. */
function SyncStatus() {
  const connection = useApp((s) => s.connection);
  const online = useApp((s) => s.online);
  const lastFresh = useApp((s) => s.lastFresh);
  const stale = useApp((s) => s.batches.filter((b) => b.stale).length);
  const title = [
    connection === 'open' ? 'Local database: connected' : connection === 'connecting' ? 'Local database: connecting…' : 'Local database: connection lost, retrying',
    online ? 'Network: online' : 'Network: offline (everything keeps working on this computer)',
    'Sync to the central server: not set up on this site',
    lastFresh ? `Last recompute: ${new Date(lastFresh).toLocaleTimeString('en-GB')}` : '',
  ].filter(Boolean).join('\n');
  return (
    <div className="sync" title={title} data-testid="sync-status">
      <span className={`dot ${connection === 'open' ? 'ok' : 'bad'}`} />
      <span>{connection === 'open' ? 'Saved locally' : 'Reconnecting…'}</span>
      <span className={online ? 'pill' : 'pill warn'}>{online ? 'Online' : 'Offline'}</span>
      <span className="muted">Sync: not set up{stale ? ` · ${stale} recomputing` : ''}</span>
    </div>
  );
}
