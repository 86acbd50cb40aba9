/**
 * Batch-level mortality (spec 3.2): a day's batch-level deaths are split once over the assignments
 * that had fish at the end of the previous day, in proportion to that population, by largest
 * remainder with ties to the ascending assignment id.
 */
export function splitByLargestRemainder(count: number, holders: { id: string; n: number }[]): number[] {
  const P = holders.reduce((s, h) => s + h.n, 0);
  if (P <= 0) return holders.map(() => 0);
  const q = holders.map((h) => (count * h.n) / P);
  const out = q.map(Math.floor);
  let rest = count - out.reduce((s, v) => s + v, 0);
  const order = holders.map((h, i) => i).sort((i, j) => {
    const fi = q[i]! - out[i]!, fj = q[j]! - out[j]!;
    if (fi !== fj) return fj - fi;
    const a = holders[i]!.id, b = holders[j]!.id;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  for (let k = 0; rest > 0 && k < order.length; k++, rest--) out[order[k]!]!++;
  return out;
}
