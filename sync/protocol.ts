/**
 * The sync protocol's wire types and schemas (spec/sync.md §1–3, §5). Shared by the server and the
 * client: the server validates every request body with these schemas before it touches the
 * database; the client validates every response before it marks anything acked.
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;
export const MAX_PUSH_EVENTS = 1000;
export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_PULL_LIMIT = 5000;
export const DEFAULT_PULL_LIMIT = 2000;

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'not a UUID');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'not a hex SHA-256');
const isoTime = z.string().max(40).regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/, 'not an ISO 8601 date/time');
const id = z.string().min(1).max(200);

/** An event as a device sends it (sync.md §1). `payload` is the JSON object whose canonical form hashes to `payload_sha256`. */
export const WireEventSchema = z.strictObject({
  event_id: uuid,
  device_id: uuid,
  device_seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  hlc: z.string().min(1).max(200),
  occurred_at: isoTime,
  type: z.string().min(3).max(100).regex(/^[a-z_]+\.(recorded|corrected|voided|restored)$/, 'type must be <entity>.<recorded|corrected|voided|restored>'),
  v: z.number().int().min(1).max(1000),
  entity_type: z.string().min(1).max(100).regex(/^[a-z_]+$/),
  entity_id: id,
  site_id: id,
  base_event_ids: z.array(uuid).max(100),
  actor: z.string().min(1).max(200),
  payload: z.record(z.string(), z.unknown()),
  payload_sha256: sha256,
});
export type WireEvent = z.infer<typeof WireEventSchema>;

/**
 * A WireEvent's JSON with its payload and base ids spliced in as JSON text already made (the
 * canonical payload text its payload_sha256 was computed from: no parse and stringify per event),
 * after `extra` members (`"name":value,` each) when given. Used by the client's push (from stored
 * rows) and the server's insert of accepted events.
 */
export function wireEventJson(e: Omit<WireEvent, 'payload' | 'base_event_ids'>, baseIdsJson: string, payloadJson: string, extra = ''): string {
  const j = JSON.stringify;
  return `{${extra}"event_id":${j(e.event_id)},"device_id":${j(e.device_id)},"device_seq":${j(e.device_seq)},"hlc":${j(e.hlc)},"occurred_at":${j(e.occurred_at)},`
    + `"type":${j(e.type)},"v":${j(e.v)},"entity_type":${j(e.entity_type)},"entity_id":${j(e.entity_id)},"site_id":${j(e.site_id)},`
    + `"base_event_ids":${baseIdsJson},"actor":${j(e.actor)},"payload":${payloadJson},"payload_sha256":${j(e.payload_sha256)}}`;
}

/** An event as the server ships it on pull: the device's envelope plus the server's stamps. */
export interface PulledEvent extends WireEvent {
  server_seq: number;
  received_at: string;
  effective_ts: string;
}

export const PushRequestSchema = z.strictObject({
  device_id: uuid,
  protocol: z.literal(PROTOCOL_VERSION),
  app_version: z.string().min(1).max(50),
  client_now: z.string().max(40).regex(/^\d{4}-\d{2}-\d{2}T/, 'client_now must be an ISO timestamp'),
  events: z.array(WireEventSchema).min(1).max(MAX_PUSH_EVENTS),
});
export type PushRequest = z.infer<typeof PushRequestSchema>;

export const EventResultSchema = z.object({
  event_id: z.string(),
  status: z.enum(['accepted', 'duplicate', 'rejected']),
  server_seq: z.number().int().nullable(),
  effective_ts: z.string().nullable().optional(),
  reason: z.string().nullable().optional(),
  /** On a duplicate stored under another (device_id, device_seq) (a renumbered, restored device): the original ones. */
  device_id: z.string().optional(),
  device_seq: z.number().int().optional(),
});
export type EventResult = z.infer<typeof EventResultSchema>;

export const PushResponseSchema = z.object({
  results: z.array(EventResultSchema),
  server_now: z.string(),
});
export type PushResponse = z.infer<typeof PushResponseSchema>;

/** 409 bodies. */
export const PushConflictSchema = z.object({
  error: z.enum(['device_seq_conflict', 'expected_seq']),
  /** For expected_seq: the next device_seq the server expects. */
  expected_seq: z.number().int().optional(),
  message: z.string(),
});
export type PushConflict = z.infer<typeof PushConflictSchema>;

export const PullQuerySchema = z.strictObject({
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_PULL_LIMIT).default(DEFAULT_PULL_LIMIT),
});

export const PulledEventSchema = WireEventSchema.extend({
  server_seq: z.number().int(),
  received_at: z.string(),
  effective_ts: z.string(),
});

export const PullResponseSchema = z.object({
  events: z.array(PulledEventSchema),
  next_cursor: z.number().int(),
  has_more: z.boolean(),
  server_now: z.string(),
});
export type PullResponse = z.infer<typeof PullResponseSchema>;

/** Device state snapshot (sync.md §5): the laptop's own states of one batch, with the same stamps. */
const num = z.number().finite();
export const SnapshotBatchStateSchema = z.strictObject({
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  day_number: z.number().int(),
  avg_weight_g: num.nullable(),
  population: num,
  biomass_kg: num,
  container_count: z.number().int(),
  feed_kg: num,
  growth_kg: num,
  deaths: num,
});
export const StatesSnapshotSchema = z.strictObject({
  device_id: uuid,
  protocol: z.literal(PROTOCOL_VERSION),
  snapshots: z.array(z.strictObject({
    batch_id: id,
    engine_version: z.string().min(1).max(50),
    as_of: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    last_server_seq: z.number().int().min(0),
    states_sha256: sha256,
    batch_states: z.array(SnapshotBatchStateSchema).max(20_000),
  })).max(200),
});
export type StatesSnapshot = z.infer<typeof StatesSnapshotSchema>;

export const StatesSnapshotResponseSchema = z.object({
  results: z.array(z.object({ batch_id: z.string(), status: z.enum(['stored', 'match', 'mismatch', 'pending']) })),
  server_now: z.string(),
});

// ---- administration ----

export const CreateSiteSchema = z.strictObject({ id: id.regex(/^[A-Za-z0-9_.:-]+$/, 'site ids are letters, digits and _ . : -'), name: z.string().min(1).max(200) });
export const RegisterDeviceSchema = z.strictObject({ site_id: id, device_id: uuid.optional(), label: z.string().max(200).optional() });
export const RevokeSchema = z.strictObject({ device_id: uuid });
export const CreateHqTokenSchema = z.strictObject({ label: z.string().min(1).max(200) });
