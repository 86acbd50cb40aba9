/** Minimal argument parsing: positionals and `--name value` / `--flag` options. */
export interface ParsedArgs { positionals: string[]; options: Map<string, string | true> }

export function parseArgs(argv: string[], flags: ReadonlySet<string> = new Set()): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) { options.set(a.slice(2, eq), a.slice(eq + 1)); continue; }
      const name = a.slice(2);
      if (flags.has(name) || i + 1 >= argv.length || argv[i + 1]!.startsWith('--')) options.set(name, true);
      else options.set(name, argv[++i]!);
    } else positionals.push(a);
  }
  return { positionals, options };
}

export class UsageError extends Error {}

export function optString(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v;
}

export function optInt(args: ParsedArgs, name: string): number | undefined {
  const v = optString(args, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
}
