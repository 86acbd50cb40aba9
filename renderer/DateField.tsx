/**
 * A keyboard-first date field: type `2026-03-14` (or `14.3.2026`, `14/3`), ↑/↓ move a day, PgUp/PgDn a
 * week, `t` jumps to the site's today. Shows the date as "Sat 14 Mar 2026" beside it.
 */
import { useEffect, useState } from 'react';
import { addDays, fmtDate } from './format';

const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export function parseDate(text: string, today: string): string | null {
  const s = text.trim();
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  if (m) return iso(+m[1]!, +m[2]!, +m[3]!);
  m = /^(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?$/.exec(s);
  if (m) return iso(m[3] ? (m[3].length === 2 ? 2000 + +m[3] : +m[3]) : +today.slice(0, 4), +m[2]!, +m[1]!);
  return null;
}
function iso(y: number, mo: number, d: number): string | null {
  const dt = new Date(Date.UTC(y, mo - 1, d));
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d) return null;
  return dt.toISOString().slice(0, 10);
}

export function DateField({ id, value, onChange, today, max, inputRef, label, testId }: {
  id?: string; testId?: string; value: string; onChange: (v: string) => void; today: string; max?: string; inputRef?: (el: HTMLInputElement | null) => void; label?: string;
}) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const valid = parseDate(text, today);
  const commit = (t: string) => { setText(t); const v = parseDate(t, today); onChange(v ?? t); };
  const step = (n: number) => { const base = parseDate(text, today) ?? today; let v = addDays(base, n); if (max && v > max) v = max; commit(v); };
  return (
    <span className="datefield">
      <input id={id} value={text} aria-label={label} data-testid={testId} autoComplete="off" spellCheck={false} size={11} ref={inputRef}
        onChange={(e) => commit(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowUp') { e.preventDefault(); step(1); } else if (e.key === 'ArrowDown') { e.preventDefault(); step(-1); }
          else if (e.key === 'PageUp') { e.preventDefault(); step(7); } else if (e.key === 'PageDown') { e.preventDefault(); step(-7); }
          else if (e.key === 't' || e.key === 'T') { e.preventDefault(); commit(today); }
        }} />
      <span className={valid ? 'muted small' : 'bad small'}>{valid ? `${WEEKDAY[new Date(valid).getUTCDay()]} ${fmtDate(valid)}${valid === today ? ' (today)' : ''}` : 'YYYY-MM-DD'}</span>
    </span>
  );
}
