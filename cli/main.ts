/**
 * The command line: `npm run --silent cli -- <command> ...`.
 *   assimilate FILE [--as-of DATE] [--format json|csv]   batch document → states document
 *   demo-batch [--seed N] [--days N]                     a realistic demo batch document
 *   site <init|import|recompute|export|dump> DB ...      headless use of a site database
 * Exit codes: 0 done, 2 invalid input or usage.
 */
import { parseArgs, UsageError } from './args';
import { runAssimilate } from './assimilate';

const USAGE = `usage: npm run --silent cli -- <command>
  assimilate FILE [--as-of YYYY-MM-DD] [--format json|csv]
  demo-batch [--seed N] [--days N]
  site init DB [--demo|--empty] | site import DB FILE | site recompute DB
  site export DB BATCH [--weekly] [--assignment ID] | site dump DB BATCH`;

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const out = (s: string) => { process.stdout.write(s); };
  const err = (s: string) => { process.stderr.write(s.endsWith('\n') ? s : s + '\n'); };
  const cmd = args.positionals[0];
  try {
    switch (cmd) {
      case 'assimilate':
        return runAssimilate(args, out, err);
      case 'site': {
        const { runSite } = await import('../backend/cli-site');
        return await runSite(argv.slice(1), { write: out }, { write: err });
      }
      case 'demo-batch': {
        const { runDemoBatch } = await import('./demo-batch');
        return runDemoBatch(args, out);
      }
      case undefined:
      case 'help':
        out(USAGE + '\n');
        return cmd ? 0 : 2;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
    }
  } catch (e) {
    if (e instanceof UsageError) { err(`${e.message}\n${USAGE}`); return 2; }
    throw e;
  }
}

// `... | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); throw e; });

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => { process.stderr.write(`${(e as Error).stack ?? e}\n`); process.exitCode = 1; },
);
