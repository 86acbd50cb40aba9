import { useLayoutEffect, useRef, useState } from 'react';

/** The width of a container element, following resizes. */
export function useWidth<T extends HTMLElement>(initial = 800): [React.RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [w, setW] = useState(initial);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setW(el.clientWidth || initial);
    const ro = new ResizeObserver(() => setW(el.clientWidth || initial));
    ro.observe(el);
    return () => ro.disconnect();
  }, [initial]);
  return [ref, w];
}
