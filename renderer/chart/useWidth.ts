import { useLayoutEffect, useRef, useState } from 'react';

/** The last width measured per key: a screen opened again renders at its width at once. */
const lastWidth = new Map<string, number>();

/**
 * The width of a container element, following resizes. `key` names the element across mounts: the
 * first render uses the width it had last time, so opening a chart again does not render it twice
 * (once at a guess, then at the measured width).
 */
export function useWidth<T extends HTMLElement>(initial = 800, key?: string): [React.RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [w, setW] = useState(() => (key ? lastWidth.get(key) : undefined) ?? initial);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => { const v = el.clientWidth || initial; if (key) lastWidth.set(key, v); setW(v); };
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, [initial, key]);
  return [ref, w];
}
