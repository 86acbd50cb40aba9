/**
 * vitest global setup: every test file's temporary folders (site databases, PostgreSQL clusters,
 * browser profiles) go under one folder of this run, removed at the end. Before this, a local run
 * left ~1.5 GB of `aquamind-*` folders in /tmp. `os.tmpdir()` reads TMPDIR, and the test workers
 * inherit it. KEEP_TEST_TMP=1 keeps the folder for a look afterwards.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'aquamind-test-run-'));
  chmodSync(root, 0o755); // the PostgreSQL clusters run as the postgres user and must reach their folders
  process.env.TMPDIR = root;
  return () => {
    if (process.env.KEEP_TEST_TMP) { console.error(`test folders kept in ${root}`); return; }
    rmSync(root, { recursive: true, force: true });
  };
}
