/**
 * One zod schema per API method: strict objects (unknown keys rejected), bounded strings and
 * arrays, finite numbers in the spec's ranges (assimilation.md §7), dates YYYY-MM-DD not after the
 * site's today. Built per backend because "today" comes from the injected clock.
 */
import { z } from 'zod';
import type { ApiError, Method, MeasurementMethod } from './contract';
import { isIsoDate, isValidTimeZone } from '../time';

export const LIMITS = {
  id: 200, name: 200, note: 2000, reason: 2000, individuals: 2000, mapEntries: 50, profilePoints: 400, stages: 30,
  requestBytes: 1 << 20,
  /** CSV text of an import (UTF-8 bytes). */
  csvBytes: 20 * (1 << 20),
} as const;

const id = z.string().min(1, 'must not be empty').max(LIMITS.id, `must be at most ${LIMITS.id} characters`)
  .regex(/^[^\u0000-\u001f]+$/, 'must not contain control characters');
const name = z.string().trim().min(1, 'must not be empty').max(LIMITS.name, `must be at most ${LIMITS.name} characters`);
const note = z.string().max(LIMITS.note, `must be at most ${LIMITS.note} characters`);
const reason = z.string().trim().min(1, 'a reason is required').max(LIMITS.reason, `must be at most ${LIMITS.reason} characters`);
const count = z.int('must be a whole number').min(0, 'must not be negative').max(1e9, 'must be at most 1,000,000,000');
const positiveCount = z.int('must be a whole number').min(1, 'must be at least 1').max(1e9, 'must be at most 1,000,000,000');
const weightG = z.number('must be a number').gt(0, 'must be greater than 0 g').max(30000, 'must be at most 30,000 g');
const sdG = z.number('must be a number').min(0, 'must not be negative').max(30000, 'must be at most 30,000 g');
const lengthCm = z.number('must be a number').gt(0, 'must be greater than 0 cm').max(200, 'must be at most 200 cm');
const tempC = z.number('must be a number').min(-3, 'must be at least −3 °C').max(40, 'must be at most 40 °C');
const kg = z.number('must be a number').min(0, 'must not be negative').max(1e7, 'must be at most 10,000,000 kg');
const environment = z.enum(['freshwater', 'sea'], 'must be "freshwater" or "sea"');
const stageName = z.string().min(1).max(LIMITS.name, `must be at most ${LIMITS.name} characters`);
const opt = <T extends z.ZodType>(t: T) => t.nullable().optional();
/** The sync server's address: http(s), no user:password, no query or fragment. */
const serverUrl = z.string('must be a URL like https://sync.example.com').trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters')
  .refine((u) => {
    try {
      const x = new URL(u);
      return (x.protocol === 'https:' || x.protocol === 'http:') && !x.username && !x.password && !x.search && !x.hash && x.hostname !== '';
    } catch { return false; }
  }, 'must be an http:// or https:// URL like https://sync.example.com, without a user name, query or #');
/** A device token as the server issued it: printable, no spaces. */
const syncToken = z.string('must be the token text').trim().min(8, 'must be at least 8 characters').max(500, 'must be at most 500 characters')
  .regex(/^[\x21-\x7e]+$/, 'must be the token exactly as issued (no spaces)');
const rateMap = (max: number, what: string) =>
  z.record(stageName, z.number('must be a number').min(0, 'must not be negative').max(max, `${what} must be at most ${max}`))
    .refine((m) => Object.keys(m).length <= LIMITS.mapEntries, `at most ${LIMITS.mapEntries} stages`);
const fcrBand = z.strictObject({ stage: stageName, min_weight_g: z.number().min(0).max(30000), max_weight_g: weightG, fcr: z.number().min(0).max(10) });
const profile = z.strictObject({
  points: opt(z.array(z.strictObject({ day_of_year: z.int().min(1).max(366), temp_c: tempC })).max(LIMITS.profilePoints)),
  freshwater_c: opt(tempC),
});

export type Schemas = Record<Method, z.ZodType>;

export function makeSchemas(today: () => string) {
  const date = z.string('must be a date YYYY-MM-DD').refine(isIsoDate, 'must be a date YYYY-MM-DD')
    .refine((d) => d <= today(), { message: 'must not be in the future (after the site\'s today)', abort: true });
  const anyDate = z.string('must be a date YYYY-MM-DD').refine(isIsoDate, 'must be a date YYYY-MM-DD');
  const timestamp = z.string('must be an ISO 8601 timestamp').max(40)
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/, 'must be an ISO 8601 timestamp like 2024-01-11T08:00:00+00:00')
    .refine((t) => isIsoDate(t.slice(0, 10)) && t.slice(0, 10) <= today(), 'must not be in the future (after the site\'s today)');

  const base = { batch_id: id, date, note: opt(note) };
  const inputs = {
    placement: z.strictObject({ ...base, assignment_id: id, count: positiveCount, avg_weight_g: opt(weightG) }),
    transfer: z.strictObject({
      ...base, source_assignment_id: id, dest_assignment_id: id, count, mortality_in_transfer: opt(count),
      measured_avg_weight_g: opt(weightG), measured_std_dev_g: opt(sdG), measured_sample_size: opt(count),
      measured_avg_length_cm: opt(lengthCm), selection_method: opt(z.enum(['AVERAGE', 'LARGEST', 'SMALLEST'], 'must be AVERAGE, LARGEST or SMALLEST')),
      dest_stage: opt(stageName), closes_source: opt(z.boolean('must be true or false')), source_population_before: opt(positiveCount),
    }),
    removal: z.strictObject({
      ...base, assignment_id: id, count, kind: z.enum(['harvest', 'cull'], 'must be "harvest" or "cull"'), avg_weight_g: opt(weightG),
      closes_source: opt(z.boolean('must be true or false')),
    }),
    sample: z.strictObject({
      ...base, assignment_id: id, sample_size: opt(count), avg_weight_g: opt(weightG), std_dev_g: opt(sdG), avg_length_cm: opt(lengthCm),
      condition_factor: opt(z.number().gt(0, 'must be greater than 0').max(5, 'must be at most 5')),
      individual_weights_g: opt(z.array(weightG).min(1, 'must not be empty').max(LIMITS.individuals, `at most ${LIMITS.individuals} fish`)),
      individual_lengths_cm: opt(z.array(lengthCm.nullable()).max(LIMITS.individuals, `at most ${LIMITS.individuals} fish`)),
      informational: z.boolean('must be true or false').optional(),
    }),
    treatment: z.strictObject({
      ...base, assignment_id: id, avg_weight_g: weightG, sample_size: opt(count), kind: opt(name), treatment: opt(note),
    }),
    anchor: z.strictObject({ ...base, assignment_id: id, avg_weight_g: weightG }),
    mortality: z.strictObject({ ...base, assignment_id: opt(id), count, cause: opt(name) }),
    feed: z.strictObject({ ...base, assignment_id: opt(id), container_id: opt(id), kg }),
    temperature: z.strictObject({ container_id: id, timestamp, value: tempC }),
    temperatureDaily: z.strictObject({ container_id: id, date, mean_c: tempC }),
    stageChange: z.strictObject({ ...base, assignment_id: id, stage: stageName }),
  } satisfies Record<MeasurementMethod, z.ZodObject>;

  /** Cross-field rules, applied to a whole record (a new one, or an old one with a patch). */
  const recordRules: Partial<Record<MeasurementMethod, (r: Record<string, unknown>) => ApiError | null>> = {
    feed: (r) => ((r.assignment_id == null) === (r.container_id == null)
      ? { code: 'invalid', field: 'assignment_id', message: 'a feed record carries exactly one of assignment_id and container_id' } : null),
    transfer: (r) => (r.source_assignment_id === r.dest_assignment_id
      ? { code: 'invalid', field: 'dest_assignment_id', message: 'source and destination must be different assignments' } : null),
    sample: (r) => {
      const ws = r.individual_weights_g as unknown[] | null | undefined;
      const ls = r.individual_lengths_cm as unknown[] | null | undefined;
      if (ls != null && (ws == null || ls.length !== ws.length)) return { code: 'invalid', field: 'individual_lengths_cm', message: 'individual_lengths_cm must be as long as individual_weights_g' };
      if (ws == null && r.avg_weight_g == null) return { code: 'invalid', field: 'avg_weight_g', message: 'a growth sample needs avg_weight_g or individual_weights_g' };
      if (ws != null && r.sample_size != null && r.sample_size !== ws.length) return { code: 'invalid', field: 'sample_size', message: `sample_size ${String(r.sample_size)} differs from the ${ws.length} individual weights` };
      return null;
    },
  };

  const patchOf = (o: z.ZodObject) => {
    const shape = { ...o.shape } as Record<string, z.ZodType>;
    delete shape.batch_id;
    return z.strictObject(Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, v.optional()])))
      .refine((p) => Object.keys(p).length > 0, 'the patch changes nothing');
  };

  const measurementSchemas: Record<string, z.ZodType> = {};
  for (const [m, s] of Object.entries(inputs) as [MeasurementMethod, z.ZodObject][]) {
    measurementSchemas[`${m}.record`] = s.extend({ id: id.optional() });
    measurementSchemas[`${m}.correct`] = z.strictObject({ id, patch: patchOf(s), reason });
    measurementSchemas[`${m}.void`] = z.strictObject({ id, reason });
    measurementSchemas[`${m}.restore`] = z.strictObject({ id, reason });
  }

  const siteFields = z.strictObject({
    name, timezone: z.string().max(64).refine(isValidTimeZone, 'must be an IANA time zone like Atlantic/Faroe'),
    weight_cv: z.number().min(0.01, 'must be at least 0.01').max(1, 'must be at most 1').nullable(),
    default_duration_days: z.int().min(1).max(3000), default_harvest_weight_g: weightG,
    default_tgc_by_stage: rateMap(10, 'TGC'), default_mortality_rate_by_stage: rateMap(0.1, 'daily mortality rate'),
    default_fcr_by_stage: rateMap(10, 'FCR'), default_fcr_bands: z.array(fcrBand).max(100), default_temperature_profile: profile,
  });
  const stage = z.strictObject({
    name: stageName, order: z.int().min(0).max(1000), min_weight_g: z.number().min(0).max(30000), max_weight_g: weightG,
    feeds: z.boolean(), duration_days: opt(z.int().min(1).max(3000)), environment, baseline_tgc: opt(z.number().min(0).max(10)),
  });
  const containerFields = z.strictObject({ name, kind: opt(name), environment });
  const scenarioFields = z.strictObject({
    name, start_date: opt(anyDate), start_count: opt(positiveCount), start_weight_g: opt(weightG), start_stage: opt(stageName),
    duration_days: z.int().min(1).max(3000), harvest_weight_g: weightG, tgc_by_stage: rateMap(10, 'TGC'),
    mortality_rate_by_stage: opt(rateMap(0.1, 'daily mortality rate')), fcr_by_stage: opt(rateMap(10, 'FCR')),
    fcr_bands: opt(z.array(fcrBand).max(100)), temperature_profile: profile,
  });
  const batchFields = z.strictObject({ name, species: name.optional(), start_date: date, scenario_id: opt(id) });
  const empty = z.strictObject({});
  const csvImport = z.strictObject({
    kind: z.enum(['temperature', 'feed'], 'must be "temperature" or "feed"'),
    csv: z.string('must be the CSV text').max(LIMITS.csvBytes, `must be at most ${LIMITS.csvBytes / (1 << 20)} MB`)
      .refine((t) => Buffer.byteLength(t, 'utf8') <= LIMITS.csvBytes, `must be at most ${LIMITS.csvBytes / (1 << 20)} MB`),
    map: z.record(z.string().min(1).max(64), z.string().max(LIMITS.name, `must be at most ${LIMITS.name} characters`))
      .refine((m) => Object.keys(m).length <= 10, 'at most 10 fields'),
    delimiter: z.enum([',', ';', '\t'], 'must be ",", ";" or a tab').optional(),
    parameter_names: z.array(z.string().min(1).max(LIMITS.name)).min(1).max(100).optional(),
    progress_every: z.int().min(1).max(1e7).optional(),
  });
  const nonEmpty = <T extends z.ZodObject>(o: T) => o.partial().refine((p) => Object.keys(p).length > 0, 'the patch changes nothing');

  const schemas = {
    ...measurementSchemas,
    'site.get': empty,
    'site.update': z.strictObject({ patch: nonEmpty(siteFields), reason: reason.optional() }),
    'stages.get': empty,
    'stages.set': z.strictObject({ stages: z.array(stage).min(1, 'at least one stage').max(LIMITS.stages), reason: reason.optional() }),
    'container.list': z.strictObject({ include_voided: z.boolean().optional() }),
    'container.create': containerFields.extend({ id: id.optional() }),
    'container.update': z.strictObject({ id, patch: nonEmpty(containerFields), reason }),
    'scenario.list': empty,
    'scenario.create': scenarioFields.extend({ id: id.optional() }),
    'scenario.update': z.strictObject({ id, patch: nonEmpty(scenarioFields), reason }),
    'batch.list': empty,
    'batch.get': z.strictObject({ id }),
    'batch.create': batchFields.extend({ id: id.optional() }),
    'batch.update': z.strictObject({ id, patch: nonEmpty(batchFields.omit({ scenario_id: true })), reason }),
    'batch.pinScenario': z.strictObject({ id, scenario_id: id.nullable(), reason: reason.optional() }),
    'assignment.create': z.strictObject({ id: id.optional(), batch_id: id, container_id: id, stage: opt(stageName) }),
    'assignment.update': z.strictObject({ id, patch: nonEmpty(z.strictObject({ container_id: id, stage: stageName.nullable() })), reason }),
    'records.list': z.strictObject({
      batch_id: id, kind: z.enum(Object.keys(inputs) as [MeasurementMethod, ...MeasurementMethod[]]), from: anyDate.optional(), to: anyDate.optional(),
      include_voided: z.boolean().optional(), limit: z.int().min(1).max(100000).optional(), order: z.enum(['asc', 'desc'], 'must be "asc" or "desc"').optional(),
    }),
    'temperatureLog.list': z.strictObject({ batch_id: id, from: anyDate.optional(), include_voided: z.boolean().optional(), limit: z.int().min(1).max(100000).optional() }),
    'temperatureLog.void': z.strictObject({ id, reason }),
    'temperatureLog.restore': z.strictObject({ id, reason }),
    'analysis.get': z.strictObject({
      batch_id: id, from: anyDate.optional(), to: anyDate.optional(), granularity: z.enum(['daily', 'weekly']).optional(), assignments: z.boolean().optional(),
      fcr_windows: z.array(z.enum(['span', '7d', '30d'])).max(3).optional(), forecast_assignments: z.boolean().optional(),
      only_assignments: z.boolean().optional(),
    }),
    'record.history': z.strictObject({ entity_type: z.string().min(1).max(64), entity_id: id }),
    'recompute.status': empty,
    'import.preview': csvImport.extend({ rows: z.int().min(0).max(1000).optional() }),
    'import.commit': csvImport,
    'export.actual': z.strictObject({
      batch_id: id, granularity: z.enum(['daily', 'weekly']).optional(), assignment_id: id.optional(), from: anyDate.optional(), to: anyDate.optional(),
    }),
    'recompute.run': z.strictObject({ batch_id: id.optional(), full: z.boolean().optional() }),
    'sync.configure': z.strictObject({ server_url: serverUrl.nullable(), token: syncToken.optional() }),
    'sync.status': empty,
    'sync.now': empty,
    'sync.resolveConflict': z.strictObject({
      entity_type: z.string().min(1).max(64).regex(/^[a-z_]+$/, 'must be an entity type like growth_sample'), entity_id: id,
      resolution: z.union([
        z.strictObject({ patch: z.record(z.string().min(1).max(64), z.unknown()).refine((p) => Object.keys(p).length > 0 && Object.keys(p).length <= 50, 'the patch must change 1 to 50 fields') }),
        z.strictObject({ void: z.literal(true) }),
        z.strictObject({ restore: z.literal(true) }),
      ], 'must be {patch: {...}}, {void: true} or {restore: true}'),
      reason,
    }),
  } as unknown as Schemas;

  return { schemas, inputs, recordRules };
}

export type SchemaSet = ReturnType<typeof makeSchemas>;

/** The first zod issue as an API error naming the field (dotted path). */
export function zodError(err: z.ZodError): ApiError {
  const issue = err.issues[0]!;
  let path = issue.path.map(String);
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    path = [...path, String(issue.keys[0])];
    message = `unknown field ${JSON.stringify(issue.keys[0])}`;
  }
  const field = path.join('.').replace(/\.(\d+)(?=\.|$)/g, '[$1]');
  return { code: 'invalid', field: field || '(request)', message: field ? `${field}: ${message}` : message };
}
