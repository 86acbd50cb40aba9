/** sync/canonical.ts: canonicalPayload(v) is canonicalJson(v), for every value; the fast path only for sorted JSON data. */
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../backend/events/canonical';
import { canonicalPayload, sortedJsonData } from '../../sync/canonical';
import { mulberry32 } from '../support/rng';

function randomValue(r: () => number, depth: number): unknown {
  const x = r();
  if (depth <= 0 || x < 0.35) {
    const y = r();
    if (y < 0.2) return Math.round(r() * 1e6) / 100 - 5000;
    if (y < 0.35) return r() < 0.5;
    if (y < 0.45) return null;
    if (y < 0.5) return -0;
    if (y < 0.55) return 1e21 * r();
    return ['', 'a', 'ü', '"q"', '\\', '\u2028', 'x\ny', '\ud800', '2026-01-01T00:00:00Z'][Math.floor(r() * 9)];
  }
  if (x < 0.6) return Array.from({ length: Math.floor(r() * 5) }, () => randomValue(r, depth - 1));
  const keys = ['a', 'b', 'B', 'value', 'timestamp', '10', '9', '1', 'é', 'readings', 'container_id', '_', 'aa', ''];
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(r() * 5); i > 0; i--) o[keys[Math.floor(r() * keys.length)]!] = randomValue(r, depth - 1);
  return o;
}

describe('canonicalPayload', () => {
  it('equals canonicalJson on random JSON data, as parsed and as canonical text parsed back', () => {
    const r = mulberry32(11);
    let fast = 0;
    for (let i = 0; i < 3000; i++) {
      const v = randomValue(r, 4);
      expect(canonicalPayload(v)).toBe(canonicalJson(v));
      const back = JSON.parse(canonicalJson(v)) as unknown; // what a device sends
      expect(canonicalPayload(back)).toBe(canonicalJson(back));
      if (sortedJsonData(back)) fast++;
      const shuffled = JSON.parse(JSON.stringify(back, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).reverse()) : x))) as unknown;
      expect(canonicalPayload(shuffled)).toBe(canonicalJson(v)); // keys out of order, as jsonb returns them
    }
    expect(fast).toBeGreaterThan(1000); // the fast path is taken for most device payloads
  });

  it('takes the slow path where JSON.stringify would differ', () => {
    expect(sortedJsonData({ b: 1, a: 2 })).toBe(false);
    expect(sortedJsonData(JSON.parse('{"9":1,"10":2}'))).toBe(false); // integer keys come first in JS, not in string order
    expect(sortedJsonData({ a: undefined })).toBe(false);
    expect(sortedJsonData([undefined])).toBe(false);
    expect(sortedJsonData({ a: NaN })).toBe(false);
    expect(sortedJsonData({ a: new Date(0) })).toBe(false);
    expect(sortedJsonData(Object.create({ inherited: 1 }))).toBe(false);
    expect(canonicalPayload({ a: undefined, b: [undefined, 1] })).toBe(canonicalJson({ a: undefined, b: [undefined, 1] }));
    expect(() => canonicalPayload({ a: Infinity })).toThrow(/non-finite/);
    expect(canonicalPayload({ d: new Date(0) })).toBe(canonicalJson({ d: new Date(0) }));
    expect(sortedJsonData({ a: [1, { b: 'x', c: null }], z: true })).toBe(true);
    // the key-sorted copy: not for index keys, undefined, non-finite numbers or classes
    expect(canonicalPayload(JSON.parse('{"b":{"10":1,"9":2,"a":3},"a":[null,{"y":1,"x":2}]}'))).toBe('{"a":[null,{"x":2,"y":1}],"b":{"10":1,"9":2,"a":3}}');
    expect(canonicalPayload({ z: 1, a: [undefined, null] })).toBe(canonicalJson({ z: 1, a: [undefined, null] }));
    expect(canonicalPayload({ z: 1, a: { u: undefined } })).toBe(canonicalJson({ z: 1, a: { u: undefined } }));
    expect(() => canonicalPayload({ z: 1, a: -Infinity })).toThrow(/non-finite/);
    expect(canonicalPayload({ z: new Date(0), a: 1 })).toBe(canonicalJson({ z: new Date(0), a: 1 }));
  });
});
