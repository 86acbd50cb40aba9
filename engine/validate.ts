/**
 * Validation without computing: everything spec 7 can judge from the inputs alone. The checks that
 * need populations run during the simulation, so `assimilate` is the complete check.
 */
import type { InputError } from './document';
import { prepare } from './prepare';

export function validate(doc: unknown, opts: { asOf?: string; today?: string } = {}): InputError[] {
  const p = prepare(doc, opts);
  return p.ok ? [] : p.errors;
}
