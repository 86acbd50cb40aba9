/**
 * The wire between the renderer and the backend. Every transport (WebSocket in a browser, a
 * MessagePort in Electron) carries the same messages:
 *   request  {id, method, args}
 *   response {id, result}        (result is the backend's Result<T>: errors travel as data)
 *   event    {event, data}
 */
import type { ApiEventName, ApiEvents, Result } from '../../backend/api/contract';

export interface RequestMessage { id: number; method: string; args: unknown }
export interface ResponseMessage { id: number; result: Result<unknown> }
export interface EventMessage<E extends ApiEventName = ApiEventName> { event: E; data: ApiEvents[E] }
export type ServerMessage = ResponseMessage | EventMessage;

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface Transport {
  /** Sends one request; resolves with the backend's Result (a transport failure becomes an error Result). */
  request(method: string, args: unknown): Promise<Result<unknown>>;
  onEvent(fn: (msg: EventMessage) => void): () => void;
  onState(fn: (s: ConnectionState) => void): () => void;
  readonly state: ConnectionState;
}

/** Shared bookkeeping of pending requests for message-based transports. */
export class Pending {
  private next = 1;
  private readonly waiting = new Map<number, (r: Result<unknown>) => void>();
  open(): [number, Promise<Result<unknown>>] {
    const id = this.next++;
    return [id, new Promise((resolve) => this.waiting.set(id, resolve))];
  }
  settle(msg: ResponseMessage): void {
    const fn = this.waiting.get(msg.id);
    if (!fn) return;
    this.waiting.delete(msg.id);
    fn(msg.result);
  }
  failAll(message: string): void {
    for (const fn of this.waiting.values()) fn({ ok: false, error: { code: 'internal', message } });
    this.waiting.clear();
  }
}

export function isEvent(m: ServerMessage): m is EventMessage {
  return typeof (m as EventMessage).event === 'string';
}
