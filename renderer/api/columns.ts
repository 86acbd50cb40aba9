/** The per-assignment states of an analysis, from the columns they travel in back to objects. */
import type { StateColumns, StateDto } from '../../backend/api/contract';

/** The StateDto objects of a column-wise series (they travel column by column: contract.ts). */
export function statesOfColumns(c: StateColumns): StateDto[] {
  const n = c.date.length;
  const out: StateDto[] = new Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = {
      date: c.date[i]!, day_number: c.day_number[i]!, stage: c.stage[i]!, avg_weight_g: c.avg_weight_g[i]!, population: c.population[i]!,
      biomass_kg: c.biomass_kg[i]!, temp_c: c.temp_c[i]!, deaths: c.deaths[i]!, feed_kg: c.feed_kg[i]!, growth_kg: c.growth_kg[i]!,
      anchor_type: c.anchor_type[i] ?? null, count_deviation: c.count_deviation[i]!,
      sources: { weight: c.src_weight[i]!, temp: c.src_temp[i]!, mortality: c.src_mortality[i]!, feed: c.src_feed[i]! },
      confidence: { weight: c.conf_weight[i]!, temp: c.conf_temp[i]!, mortality: c.conf_mortality[i]!, feed: c.conf_feed[i]!, overall: c.conf_overall[i]! },
    };
  }
  return out;
}
