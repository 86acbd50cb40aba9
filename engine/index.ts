/**
 * The engine's public surface. Pure and deterministic: no I/O, no clock, no database.
 * Everything else (CLI, backend, server) calls only what this file exports.
 */
export * from './document';
export { ENGINE_VERSION } from './version';
export { assimilate, prepare, computeStates, fcrByAssignment, type AssimilateResult, type PrepareResult } from './assimilate';
export type { Prepared } from './prepare';
export { pensNamed } from './prepare';
export * from './incremental';
export { validate } from './validate';
export { fcrWindows, fcrInEngineOrder } from './fcr';
export { DEFAULT_STAGES } from './stages';
export { parseIsoDate, formatIsoDate, addDays } from './dates';
export { FIXED_POINT, ReadingAggregator, parseBatchDocument } from './readings';
export { LocalDayResolver, isValidTimeZone, timestampLocalDay } from './timezone';
