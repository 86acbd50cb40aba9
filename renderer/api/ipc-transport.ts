/** The Electron transport: the preload's `window.aquamind` bridge to the backend's utility process. */
import type { AquamindBridge } from './bridge';
import { isEvent, Pending, type ConnectionState, type EventMessage, type ServerMessage, type Transport } from './transport';

export function ipcTransport(bridge: AquamindBridge): Transport {
  const pending = new Pending();
  const eventFns = new Set<(m: EventMessage) => void>();
  bridge.onMessage((text) => {
    let msg: ServerMessage;
    try { msg = JSON.parse(text) as ServerMessage; } catch { return; }
    if (isEvent(msg)) { for (const fn of eventFns) fn(msg); } else pending.settle(msg);
  });
  return {
    state: 'open' as ConnectionState,
    request(method, args) {
      const [id, p] = pending.open();
      bridge.send(JSON.stringify({ id, method, args }));
      return p;
    },
    onEvent(fn) { eventFns.add(fn); return () => eventFns.delete(fn); },
    onState() { return () => {}; },
  };
}
