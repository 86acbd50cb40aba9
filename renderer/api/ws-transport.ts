/** The browser transport: one WebSocket to `web/server.ts`, reconnecting after a drop. */
import { isEvent, Pending, type ConnectionState, type EventMessage, type ServerMessage, type Transport } from './transport';

export function wsTransport(url: string): Transport {
  const pending = new Pending();
  const eventFns = new Set<(m: EventMessage) => void>();
  const stateFns = new Set<(s: ConnectionState) => void>();
  const queue: string[] = [];
  let ws: WebSocket | null = null;
  let state: ConnectionState = 'connecting';
  let retryMs = 250;

  const setState = (s: ConnectionState) => { state = s; for (const fn of stateFns) fn(s); };

  function connect() {
    setState('connecting');
    const sock = new WebSocket(url);
    ws = sock;
    sock.onopen = () => {
      retryMs = 250;
      setState('open');
      for (const m of queue.splice(0)) sock.send(m);
    };
    sock.onmessage = (ev) => {
      let msg: ServerMessage;
      try { msg = JSON.parse(String(ev.data)) as ServerMessage; } catch { return; }
      if (isEvent(msg)) { for (const fn of eventFns) fn(msg); } else pending.settle(msg);
    };
    sock.onclose = () => {
      ws = null;
      pending.failAll('the connection to the local backend was lost');
      setState('closed');
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    };
  }
  connect();

  return {
    get state() { return state; },
    request(method, args) {
      const [id, p] = pending.open();
      const text = JSON.stringify({ id, method, args });
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(text); else queue.push(text);
      return p;
    },
    onEvent(fn) { eventFns.add(fn); return () => eventFns.delete(fn); },
    onState(fn) { stateFns.add(fn); return () => stateFns.delete(fn); },
  };
}
