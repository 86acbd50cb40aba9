/**
 * The Electron main process: a thin shell. One window (size and position remembered), the app://
 * protocol serving dist-web, strict security settings, an app menu, a single instance, and the
 * backend in a utility process that the renderer talks to over a direct MessagePort.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, MessageChannelMain, net, protocol, screen, session, shell, utilityProcess, type UtilityProcess } from 'electron';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { APP_ORIGIN, APP_SCHEME, CSP, MIME } from './protocol';

const ROOT = join(__dirname, '..');
const WEB = join(ROOT, 'dist-web');
const dataDir = app.getPath('userData');
const dbPath = join(dataDir, 'site.db');
const stateFile = join(dataDir, 'window-state.json');

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

if (!app.requestSingleInstanceLock()) app.quit();

let win: BrowserWindow | null = null;
let backend: UtilityProcess | null = null;

function startBackend(): UtilityProcess {
  mkdirSync(dataDir, { recursive: true });
  const child = utilityProcess.fork(join(__dirname, 'backend-host.cjs'), [dbPath], { serviceName: 'AquaMind backend', stdio: 'inherit' });
  child.on('exit', (code) => {
    backend = null;
    if (code !== 0 && !quitting) {
      void dialog.showMessageBox({ type: 'error', message: 'The local database stopped unexpectedly and was restarted.', detail: `exit code ${code}` });
      backend = startBackend();
      connectRenderer();
    }
  });
  return child;
}

/** A fresh channel between the renderer and the backend: one port each; the main process relays nothing. */
function connectRenderer(): void {
  if (!win || !backend) return;
  const { port1, port2 } = new MessageChannelMain();
  backend.postMessage({ type: 'port' }, [port1]);
  win.webContents.postMessage('aquamind:port', null, [port2]);
}

interface WindowState { x?: number; y?: number; width: number; height: number; maximized: boolean }
function loadState(): WindowState {
  try {
    const s = JSON.parse(readFileSync(stateFile, 'utf8')) as WindowState;
    const visible = s.x === undefined || screen.getAllDisplays().some((d) => {
      const b = d.workArea;
      return s.x! < b.x + b.width - 50 && s.x! + s.width > b.x + 50 && s.y! >= b.y - 10 && s.y! < b.y + b.height - 50;
    });
    return visible ? s : { width: s.width, height: s.height, maximized: s.maximized };
  } catch { return { width: 1366, height: 860, maximized: false }; }
}
function saveState(): void {
  if (!win) return;
  const b = win.getNormalBounds();
  try { writeFileSync(stateFile, JSON.stringify({ ...b, maximized: win.isMaximized() } satisfies WindowState)); } catch { /* not fatal */ }
}

function createWindow(): void {
  const s = loadState();
  win = new BrowserWindow({
    x: s.x, y: s.y, width: s.width, height: s.height, minWidth: 900, minHeight: 600, show: false, title: 'AquaMind Site',
    backgroundColor: '#f4f6f8',
    icon: join(ROOT, 'resources', 'icon.png'),
    webPreferences: {
      preload: join(__dirname, 'preload.cjs'), contextIsolation: true, sandbox: true, nodeIntegration: false,
      webSecurity: true, allowRunningInsecureContent: false, webviewTag: false, spellcheck: false, navigateOnDragDrop: false,
    },
  });
  if (s.maximized) win.maximize();
  win.once('ready-to-show', () => win?.show());
  for (const e of ['resize', 'move', 'close'] as const) win.on(e as 'close', saveState);
  win.on('closed', () => { win = null; });
  void win.loadURL(`${APP_ORIGIN}/index.html`);
}

function go(hash: string): void { void win?.webContents.executeJavaScript(`location.hash = ${JSON.stringify(hash)}`); }

function buildMenu(): void {
  const isMac = process.platform === 'darwin';
  Menu.setApplicationMenu(Menu.buildFromTemplate([
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    { label: 'File', submenu: [
      { label: 'Import / export CSV…', accelerator: 'CmdOrCtrl+I', click: () => go('#/import') },
      { label: 'Show data folder', click: () => void shell.openPath(dataDir) },
      { type: 'separator' }, isMac ? { role: 'close' } : { role: 'quit' },
    ] },
    { role: 'editMenu' },
    { label: 'View', submenu: [
      { label: 'Site overview', accelerator: 'CmdOrCtrl+1', click: () => go('#/') },
      { label: 'Data entry', accelerator: 'CmdOrCtrl+2', click: () => go('#/entry') },
      { type: 'separator' }, { role: 'reload' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { role: 'togglefullscreen' },
      ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' as const }]),
    ] },
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ label: 'About AquaMind Site', click: () => void dialog.showMessageBox({ message: `AquaMind Site ${app.getVersion()}`, detail: `Data: ${dbPath}` }) }] },
  ]));
}

function harden(): void {
  // every permission request (camera, notifications, geolocation …) is refused; nothing remote is loaded
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  session.defaultSession.webRequest.onBeforeRequest((details, cb) => {
    cb({ cancel: !(details.url.startsWith(`${APP_ORIGIN}/`) || details.url.startsWith('devtools://') || details.url.startsWith('data:')) });
  });
  app.on('web-contents-created', (_e, contents) => {
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-navigate', (e, url) => { if (!url.startsWith(`${APP_ORIGIN}/`)) e.preventDefault(); });
    contents.on('will-redirect', (e, url) => { if (!url.startsWith(`${APP_ORIGIN}/`)) e.preventDefault(); });
    contents.on('will-attach-webview', (e) => e.preventDefault());
  });
  protocol.handle(APP_SCHEME, async (req) => {
    const url = new URL(req.url);
    if (url.host !== 'aquamind') return new Response('not found', { status: 404 });
    let file = normalize(join(WEB, decodeURIComponent(url.pathname)));
    if (file !== WEB && !file.startsWith(WEB + sep)) return new Response('forbidden', { status: 403 });
    if (!existsSync(file) || url.pathname === '/') file = join(WEB, 'index.html');
    const res = await net.fetch(pathToFileURL(file).toString());
    return new Response(res.body, { status: res.status, headers: { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'content-security-policy': CSP, 'x-content-type-options': 'nosniff' } });
  });
}

let quitting = false;
app.on('second-instance', () => { if (win) { if (win.isMinimized()) win.restore(); win.focus(); } });
app.on('before-quit', () => { quitting = true; backend?.postMessage({ type: 'stop' }); });
app.on('window-all-closed', () => { if (process.platform !== 'darwin') app.quit(); });
app.on('activate', () => { if (!win) createWindow(); });

ipcMain.on('aquamind:hello', (e) => { if (win && e.sender === win.webContents) connectRenderer(); });

void app.whenReady().then(() => {
  harden();
  buildMenu();
  backend = startBackend();
  createWindow();
});
