/**
 * The thermal growth coefficient model: W^(1/3) grows by TGC·T/1000 per day (grams, °C).
 * The engine keeps weights in cube-root space between anchors, so daily stepping is the closed
 * form `W_n^(1/3) = W_0^(1/3) + TGC·ΣT/1000` with no drift.
 */

/** Degree-day growth increment of one day, in cube-root grams. */
export function cubeRootIncrement(tgc: number, tempC: number): number {
  return (tgc * (tempC > 0 ? tempC : 0)) / 1000;
}

/** One forward-model day: (W^(1/3) + TGC·max(T,0)/1000)^3. */
export function growOneDay(avgWeightG: number, tgc: number, tempC: number): number {
  const c = Math.cbrt(avgWeightG) + cubeRootIncrement(tgc, tempC);
  return c * c * c;
}

/** TGC realized between two weights over a degree-day sum (null when no degree-days). */
export function realizedTgc(fromG: number, toG: number, degreeDays: number): number | null {
  if (!(degreeDays > 0)) return null;
  return (1000 * (Math.cbrt(toG) - Math.cbrt(fromG))) / degreeDays;
}
