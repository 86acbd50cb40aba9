/** Series as single SVG path strings: one `<path>` per series, whatever its length. */
export type Pt = readonly [number, number];
type Scale = (v: number) => number;

export function linePath(pts: readonly Pt[], x: Scale, y: Scale): string {
  let d = '';
  let pen = false;
  for (const [a, b] of pts) {
    if (!Number.isFinite(b)) { pen = false; continue; }
    const px = x(a), py = y(b);
    d += `${pen ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`;
    pen = true;
  }
  return d;
}

/** Vertical whiskers (mean ± SD) with short caps, in one path. */
export function whiskerPath(rows: readonly { x: number; lo: number; hi: number }[], x: Scale, y: Scale, cap = 3): string {
  let d = '';
  for (const r of rows) {
    const px = x(r.x), y0 = y(r.lo), y1 = y(r.hi);
    if (!Number.isFinite(y0) || !Number.isFinite(y1)) continue;
    d += `M${px.toFixed(1)},${y0.toFixed(1)}V${y1.toFixed(1)}M${(px - cap).toFixed(1)},${y0.toFixed(1)}h${2 * cap}M${(px - cap).toFixed(1)},${y1.toFixed(1)}h${2 * cap}`;
  }
  return d;
}

/** Markers (circles, diamonds, squares or triangles) in one path. */
export function markerPath(pts: readonly Pt[], x: Scale, y: Scale, shape: 'circle' | 'diamond' | 'square' | 'triangle', r = 3.5): string {
  let d = '';
  for (const [a, b] of pts) {
    const px = x(a), py = y(b);
    if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
    const X = px.toFixed(1), Y = py.toFixed(1);
    if (shape === 'circle') d += `M${(px - r).toFixed(1)},${Y}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0Z`;
    else if (shape === 'diamond') d += `M${X},${(py - r - 1).toFixed(1)}l${r + 1},${r + 1}l${-(r + 1)},${r + 1}l${-(r + 1)},${-(r + 1)}Z`;
    else if (shape === 'square') d += `M${(px - r).toFixed(1)},${(py - r).toFixed(1)}h${2 * r}v${2 * r}h${-2 * r}Z`;
    else d += `M${X},${(py - r - 1).toFixed(1)}l${r + 1},${2 * r + 1}h${-2 * (r + 1)}Z`;
  }
  return d;
}

/** Vertical bars from a baseline, in one path. */
export function barPath(pts: readonly Pt[], x: Scale, y: Scale, base: number, w: number): string {
  let d = '';
  const yb = y(base);
  for (const [a, b] of pts) {
    const px = x(a), py = y(b);
    if (!Number.isFinite(py)) continue;
    d += `M${(px - w / 2).toFixed(1)},${yb.toFixed(1)}V${py.toFixed(1)}h${w.toFixed(1)}V${yb.toFixed(1)}Z`;
  }
  return d;
}
