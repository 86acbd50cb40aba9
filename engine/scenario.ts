/**
 * The scenario projection (spec 5): exactly duration_days rows keyed by calendar date from the
 * scenario's start, with the same forward model and stage rule as the actuals, a fractional
 * population, and the profile temperature for the environment of the stage in force.
 */
import type { ScenarioState } from './document';
import { formatIsoDate } from './dates';
import type { Prepared } from './prepare';
import { ProfileLookup } from './profile';
import { advanceStage, fcrAt } from './stages';
import { cubeRootIncrement } from './tgc';

export function projectScenario(prep: Prepared, previous?: ScenarioState[]): ScenarioState[] {
  const { stages, scenario, batchStart } = prep;
  const profile = new ProfileLookup(prep.profile);
  const out: ScenarioState[] = new Array(scenario.durationDays);
  let N = scenario.startCount;
  let W = scenario.startWeightG;
  let c = Math.cbrt(W);
  let S = advanceStage(stages, scenario.startStage, W, 1, -1);
  const day0 = scenario.startDay;
  out[0] = {
    date: formatIsoDate(day0), day_number: day0 - batchStart + 1, stage: stages.names[S]!, avg_weight_g: W,
    population: N, biomass_kg: (N * W) / 1000, feed_kg: 0, growth_kg: 0, temp_c: profile.temp(stages.environment[S]!, day0),
  };
  const same = (o: ScenarioState | undefined, x: ScenarioState) => !!o && o.date === x.date && o.day_number === x.day_number &&
    o.stage === x.stage && o.avg_weight_g === x.avg_weight_g && o.population === x.population && o.feed_kg === x.feed_kg &&
    o.growth_kg === x.growth_kg && o.temp_c === x.temp_c && o.biomass_kg === x.biomass_kg;
  if (previous && same(previous[0], out[0]!)) out[0] = previous[0]!;
  for (let k = 2; k <= scenario.durationDays; k++) {
    const day = day0 + k - 1;
    const t = profile.temp(stages.environment[S]!, day);
    const tgc = stages.feeds[S] ? stages.tgc[S]! : 0;
    c += cubeRootIncrement(tgc, t);
    const W1 = c * c * c;
    N -= N * stages.mortalityRate[S]!;
    const growthKg = (N * (W1 - W)) / 1000;
    const f = fcrAt(stages, S, W1);
    S = advanceStage(stages, S, W1, k, -1);
    W = W1;
    const feedKg = f === null ? null : growthKg * f;
    const o = previous ? previous[k - 1] : undefined;
    if (o && o.avg_weight_g === W1 && o.population === N && o.stage === stages.names[S] && o.feed_kg === feedKg &&
      o.growth_kg === growthKg && o.temp_c === t && o.day_number === day - batchStart + 1 && o.date === formatIsoDate(day)) { out[k - 1] = o; continue; }
    out[k - 1] = {
      date: formatIsoDate(day), day_number: day - batchStart + 1, stage: stages.names[S]!, avg_weight_g: W1,
      population: N, biomass_kg: (N * W1) / 1000, feed_kg: feedKg, growth_kg: growthKg, temp_c: t,
    };
  }
  return out;
}
