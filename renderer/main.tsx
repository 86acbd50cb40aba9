import { createRoot } from 'react-dom/client';
import { createClient } from './api/client';
import { ipcTransport } from './api/ipc-transport';
import { wsTransport } from './api/ws-transport';
import { App } from './App';
import { call, connect, loadAnalysis, useApp } from './store';
import { perf } from './perf';
import './styles.css';

// In Electron the preload exposes window.aquamind; in a browser the page talks to web/server.ts.
const transport = window.aquamind
  ? ipcTransport(window.aquamind)
  : wsTransport(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api`);
connect(createClient(transport));
perf.hooks = { store: useApp, call, loadAnalysis };
(window as unknown as { __aquamindStart?: number }).__aquamindStart = performance.now();
createRoot(document.getElementById('root')!).render(<App />);
