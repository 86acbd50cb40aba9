/** The typed client: `send('analysis.get', {...})` is checked against the backend's `Api` map. */
import type { ApiEventName, ApiEvents, Args, Method, Result, Ret } from '../../backend/api/contract';
import type { ConnectionState, Transport } from './transport';

export interface Client {
  send<K extends Method>(method: K, args: Args<K>): Promise<Result<Ret<K>>>;
  subscribe<E extends ApiEventName>(event: E, fn: (data: ApiEvents[E]) => void): () => void;
  onConnection(fn: (s: ConnectionState) => void): () => void;
  readonly connection: ConnectionState;
}

export function createClient(transport: Transport): Client {
  return {
    send: (method, args) => transport.request(method, args) as never,
    subscribe(event, fn) {
      return transport.onEvent((m) => { if (m.event === event) fn(m.data as never); });
    },
    onConnection: (fn) => transport.onState(fn),
    get connection() { return transport.state; },
  };
}
