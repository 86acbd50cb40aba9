/**
 * Hybrid logical clock (Kulkarni et al.), for display and causality only (sync.md §1): the
 * string `<physical ms, 15 digits>-<counter, 5 digits>-<device id>` sorts in causal order.
 */
export interface HlcState { physical: number; counter: number }

const PAD_MS = 15;
const PAD_COUNTER = 5;

export function hlcString(s: HlcState, deviceId: string): string {
  return `${String(s.physical).padStart(PAD_MS, '0')}-${String(s.counter).padStart(PAD_COUNTER, '0')}-${deviceId}`;
}

export function parseHlc(h: string): HlcState & { device: string } {
  const m = /^(\d{15})-(\d{5})-(.+)$/.exec(h);
  if (!m) throw new Error(`not an HLC: ${JSON.stringify(h)}`);
  return { physical: Number(m[1]), counter: Number(m[2]), device: m[3]! };
}

/** A local event (send): max(previous, wall clock), counter bumped when the wall clock lags. */
export function hlcTick(prev: HlcState, nowMs: number): HlcState {
  const now = Math.floor(nowMs);
  if (now > prev.physical) return { physical: now, counter: 0 };
  return { physical: prev.physical, counter: prev.counter + 1 };
}

/** Receiving a remote HLC: the result is after both the local state and the remote one. */
export function hlcReceive(prev: HlcState, remote: HlcState, nowMs: number): HlcState {
  const now = Math.floor(nowMs);
  const physical = Math.max(prev.physical, remote.physical, now);
  let counter: number;
  if (physical === prev.physical && physical === remote.physical) counter = Math.max(prev.counter, remote.counter) + 1;
  else if (physical === prev.physical) counter = prev.counter + 1;
  else if (physical === remote.physical) counter = remote.counter + 1;
  else counter = 0;
  return { physical, counter };
}
