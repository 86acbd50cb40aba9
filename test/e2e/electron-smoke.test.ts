/**
 * Launches the real Electron app (Playwright's Electron support) where the Electron binary is
 * installed. Elsewhere the test is reported as skipped, with the reason in its name.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, shotPath } from './harness';

const binary = join(ROOT, 'node_modules', 'electron', 'dist');
const built = existsSync(join(ROOT, 'dist-electron', 'main.cjs')) && existsSync(join(ROOT, 'dist-web', 'index.html'));
const reason = !existsSync(binary)
  ? 'the Electron binary is not installed (node_modules/electron/dist missing; it downloads on first `npm start` on a user machine)'
  : !built ? 'dist-electron/ or dist-web/ is not built (run `tsx electron/build.ts && vite build`)' : '';

describe('Electron smoke', () => {
  if (reason) {
    it.skip(`skipped: ${reason}`, () => {});
    return;
  }
  it('opens the app on the demo site with the secure settings', async () => {
    const { _electron } = await import('playwright-core');
    const dir = mkdtempSync(join(tmpdir(), 'aquamind-electron-'));
    const app = await _electron.launch({ args: [ROOT, `--user-data-dir=${dir}`], cwd: ROOT, env: { ...process.env, ELECTRON_ENABLE_LOGGING: '1' } });
    try {
      const win = await app.firstWindow();
      await win.locator('[data-testid="batch-table"] tbody tr').first().waitFor({ timeout: 120_000 });
      expect(await win.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
      expect(await win.evaluate(() => Object.keys((window as unknown as { aquamind: object }).aquamind).sort())).toEqual(['onMessage', 'platform', 'send']);
      await win.screenshot({ path: shotPath('electron-overview') });
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
