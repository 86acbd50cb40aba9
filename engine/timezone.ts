/**
 * Site-local dates of instants (spec 2: a reading belongs to the site-local date of its timestamp).
 * Intl is slow per call, so the UTC offset is looked up twice per UTC day and hourly only on the
 * rare days when it changes (daylight saving).
 */

const MS_HOUR = 3_600_000;
const MS_DAY = 86_400_000;

/** Answers per zone name: building a DateTimeFormat to find out costs ~0.7 ms, on every prepare. */
const validZones = new Map<string, boolean>();
export function isValidTimeZone(tz: string): boolean {
  let ok = validZones.get(tz);
  if (ok === undefined) {
    try { new Intl.DateTimeFormat('en-US', { timeZone: tz }); ok = true; } catch { ok = false; }
    if (validZones.size < 1000) validZones.set(tz, ok);
  }
  return ok;
}

const RESOLVERS = new Map<string, LocalDayResolver>();

export class LocalDayResolver {
  private readonly fmt: Intl.DateTimeFormat | null;
  private readonly dayOffsets = new Map<number, number[] | number>();

  /**
   * One resolver per zone name, shared: its answers depend on the zone only, and building one
   * (a DateTimeFormat) costs ~0.5 ms, which an edit's prepare would pay every time.
   */
  static of(timeZone: string | null | undefined): LocalDayResolver {
    const key = timeZone ?? '';
    let r = RESOLVERS.get(key);
    if (!r) {
      r = new LocalDayResolver(timeZone);
      if (RESOLVERS.size < 100) RESOLVERS.set(key, r);
    }
    return r;
  }

  constructor(timeZone: string | null | undefined) {
    const tz = timeZone && timeZone.toUpperCase() !== 'UTC' && timeZone !== 'Etc/UTC' ? timeZone : null;
    this.fmt = tz
      ? new Intl.DateTimeFormat('en-US', {
          timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
          hour: 'numeric', minute: 'numeric', second: 'numeric',
        })
      : null;
  }

  /** Offset of site-local time from UTC at instant `ms`, in ms. */
  offsetAt(ms: number): number {
    if (!this.fmt) return 0;
    const parts = this.fmt.formatToParts(new Date(ms));
    let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    for (const p of parts) {
      switch (p.type) {
        case 'year': y = +p.value; break;
        case 'month': mo = +p.value; break;
        case 'day': d = +p.value; break;
        case 'hour': h = +p.value; break;
        case 'minute': mi = +p.value; break;
        case 'second': s = +p.value; break;
      }
    }
    const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
    return asUtc - (ms - (ms % 1000 + 1000) % 1000);
  }

  /** Site-local day number (days since 1970-01-01) of the UTC instant `ms`. */
  localDay(ms: number): number {
    if (!this.fmt) return Math.floor(ms / MS_DAY);
    const utcDay = Math.floor(ms / MS_DAY);
    let cached = this.dayOffsets.get(utcDay);
    if (cached === undefined) {
      const a = this.offsetAt(utcDay * MS_DAY);
      const b = this.offsetAt(utcDay * MS_DAY + MS_DAY - 1);
      if (a === b) cached = a;
      else {
        const hours: number[] = [];
        for (let h = 0; h < 24; h++) hours.push(this.offsetAt(utcDay * MS_DAY + h * MS_HOUR));
        cached = hours;
      }
      this.dayOffsets.set(utcDay, cached);
    }
    const off = typeof cached === 'number' ? cached : cached[Math.floor((ms - utcDay * MS_DAY) / MS_HOUR)]!;
    return Math.floor((ms + off) / MS_DAY);
  }
}

const TS = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses an ISO 8601 timestamp. Returns the local day via `resolver` when it carries an offset, or
 * its own date when it has none (site-local time); null when unparseable.
 */
export function timestampLocalDay(ts: unknown, resolver: LocalDayResolver): number | null {
  if (typeof ts !== 'string') return null;
  const fast = fastUtcMs(ts);
  if (fast !== null) return fast.local ? Math.floor(fast.ms / MS_DAY) : resolver.localDay(fast.ms);
  const m = TS.exec(ts);
  if (!m) return null;
  const y = +m[1]!, mo = +m[2]!, d = +m[3]!, h = +m[4]!, mi = +m[5]!, s = m[6] ? +m[6] : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 24 || mi > 59 || s > 60) return null;
  const utcMs = Date.UTC(y, mo - 1, d, h, mi, s);
  const tz = m[8];
  if (!tz) return Math.floor(Date.UTC(y, mo - 1, d) / MS_DAY);
  let offMs = 0;
  if (tz !== 'Z' && tz !== 'z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    offMs = sign * (+digits.slice(0, 2) * 60 + (digits.length > 2 ? +digits.slice(2, 4) : 0)) * 60_000;
  }
  return resolver.localDay(utcMs - offMs);
}

function daysInMonth(y: number, m: number): number {
  return m === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

const digit = (s: string, i: number) => { const c = s.charCodeAt(i) - 48; return c >= 0 && c <= 9 ? c : -1000; };

/**
 * The loggers' usual shapes, read by position without a regex (400,000 readings a batch):
 * `YYYY-MM-DDTHH:MM:SS` then `Z`, `±HH:MM`, or nothing (site-local; `local` is then true and `ms`
 * is the local midnight of that date).
 */
function fastUtcMs(s: string): { ms: number; local: boolean } | null {
  const n = s.length;
  if (n !== 19 && n !== 20 && n !== 25) return null;
  if (s[4] !== '-' || s[7] !== '-' || (s[10] !== 'T' && s[10] !== ' ') || s[13] !== ':' || s[16] !== ':') return null;
  const y = digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
  const mo = digit(s, 5) * 10 + digit(s, 6), d = digit(s, 8) * 10 + digit(s, 9);
  const h = digit(s, 11) * 10 + digit(s, 12), mi = digit(s, 14) * 10 + digit(s, 15), sec = digit(s, 17) * 10 + digit(s, 18);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h < 0 || h > 24 || mi < 0 || mi > 59 || sec < 0 || sec > 60) return null;
  if (n === 19) return { ms: Date.UTC(y, mo - 1, d), local: true };
  const utc = Date.UTC(y, mo - 1, d, h, mi, sec);
  if (n === 20) return s[19] === 'Z' || s[19] === 'z' ? { ms: utc, local: false } : null;
  const sign = s[19] === '+' ? 1 : s[19] === '-' ? -1 : 0;
  if (sign === 0 || s[22] !== ':') return null;
  const oh = digit(s, 20) * 10 + digit(s, 21), om = digit(s, 23) * 10 + digit(s, 24);
  if (oh < 0 || om < 0) return null;
  return { ms: utc - sign * (oh * 60 + om) * 60_000, local: false };
}
