/** `demo-batch [--seed N] [--days N]`: prints a realistic demo batch document. */
import { generateDemoBatch } from '../engine/demo';
import { optInt, UsageError, type ParsedArgs } from './args';

export function runDemoBatch(args: ParsedArgs, out: (s: string) => void): number {
  const seed = optInt(args, 'seed') ?? 1;
  const days = optInt(args, 'days') ?? 900;
  if (days < 1 || days > 2000) throw new UsageError(`--days must be 1–2000, got ${days}`);
  out(JSON.stringify(generateDemoBatch({ seed, days })) + '\n');
  return 0;
}
