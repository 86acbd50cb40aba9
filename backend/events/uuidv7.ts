/**
 * UUIDv7 (RFC 9562 §5.7): 48-bit Unix ms timestamp, version 7, 74 random bits. Monotonic within a
 * generator: in the same millisecond (or when the clock steps back) the 74-bit tail is incremented
 * by a random amount (method 2 of §6.2); on overflow the timestamp advances by one ms.
 */
import { randomBytes } from 'node:crypto';

const TAIL_BITS = 74n;
const TAIL_MAX = (1n << TAIL_BITS) - 1n;

export type UuidV7 = () => string;

export function createUuidV7(now: () => number = Date.now, random: (n: number) => Uint8Array = randomBytes): UuidV7 {
  let lastMs = -1;
  let lastTail = 0n;
  return () => {
    let ms = Math.floor(now());
    const r = random(10);
    let tail = 0n;
    for (let i = 0; i < 10; i++) tail = (tail << 8n) | BigInt(r[i]!);
    tail &= TAIL_MAX;
    if (ms <= lastMs) {
      ms = lastMs;
      // random increment of 1..2^32 keeps ids unguessable yet strictly increasing
      const inc = 1n + (BigInt(r[0]!) << 24n | BigInt(r[1]!) << 16n | BigInt(r[2]!) << 8n | BigInt(r[3]!));
      tail = lastTail + inc;
      if (tail > TAIL_MAX) { ms += 1; tail &= TAIL_MAX >> 1n; }
    }
    lastMs = ms;
    lastTail = tail;
    return format(ms, tail);
  };
}

function format(ms: number, tail: bigint): string {
  const randA = Number(tail >> 62n) & 0xfff; // 12 bits
  const randB = tail & ((1n << 62n) - 1n); // 62 bits
  const hex = ms.toString(16).padStart(12, '0') +
    (0x7000 | randA).toString(16).padStart(4, '0') +
    ((2n << 62n) | randB).toString(16).padStart(16, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const UUID_V7_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The Unix ms timestamp inside a UUIDv7. */
export function uuidV7Time(id: string): number {
  return parseInt(id.replace(/-/g, '').slice(0, 12), 16);
}
