/**
 * What the Electron preload exposes as `window.aquamind` (contextBridge): a narrow, typed bridge
 * that carries the same messages as the WebSocket. Shared by `electron/preload.ts` and the renderer.
 */
export interface AquamindBridge {
  /** Sends a request message `{id, method, args}` (JSON text) to the backend. */
  send(message: string): void;
  /** Receives response and event messages (JSON text). Returns an unsubscribe function. */
  onMessage(fn: (message: string) => void): () => void;
  readonly platform: string;
}

declare global {
  interface Window { aquamind?: AquamindBridge }
}
