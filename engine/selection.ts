/**
 * Selection factors for LARGEST/SMALLEST transfers (spec 3.4): with normally distributed weights of
 * coefficient of variation cv, the largest fraction p of the fish has mean μ(1 + cv·φ(z)/p), z = Φ⁻¹(1−p).
 */

/** Standard normal density. */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/** Φ⁻¹(p): Wichura's AS241 (PPND16), relative accuracy about 1e-16, as in Python's NormalDist. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    return NaN;
  }
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    const num = (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r +
      45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r +
      133.14166789178437745) * r + 3.387132872796366608);
    const den = (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r +
      21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r +
      42.313330701600911252) * r + 1.0);
    return (q * num) / den;
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    const num = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r +
      1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r +
      4.6303378461565452959) * r + 1.42343711074968357734);
    const den = (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r +
      0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r +
      2.05319162663775882187) * r + 1.0);
    x = num / den;
  } else {
    r -= 5;
    const num = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r +
      0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r +
      5.4637849111641143699) * r + 6.6579046435011037772);
    const den = (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r +
      7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r +
      0.59983220655588793769) * r + 1.0);
    x = num / den;
  }
  return q < 0 ? -x : x;
}

export type Selection = 'AVERAGE' | 'LARGEST' | 'SMALLEST';

/**
 * The relative shift cv·φ(z)/p of the selected fraction's mean; the caller refuses to anchor when
 * it exceeds 0.5 (the normal tail is not trusted that far out).
 */
export function selectionShift(p: number, cv: number): number {
  if (p >= 1) return 0;
  const z = normalQuantile(1 - p);
  return (cv * normalPdf(z)) / p;
}

/** Factor f with source mean = M·f, for moving fraction p by `method`. */
export function selectionFactor(method: Selection, p: number, cv: number): number {
  if (method === 'AVERAGE' || p >= 1) return 1;
  const shift = selectionShift(p, cv);
  return method === 'LARGEST' ? 1 / (1 + shift) : 1 / (1 - shift);
}
