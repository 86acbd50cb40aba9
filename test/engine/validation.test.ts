/**
 * Input validation (assimilation.md §7 and batch-document.md): every rule returns an error naming
 * the record (its id) and the field (its wire name) with a reason, and no states.
 */
import { describe, expect, it } from 'vitest';
import type { BatchDocument, StageDoc } from '../../engine/document';
import { D, errorsOf, expectError, makeDoc, pens, run } from './fixtures';

type Doc = BatchDocument;
type Case = [name: string, build: () => Doc, record: string | RegExp, field: string | RegExp];

/** A fuller valid document: two pens; A1 → A2 transfer on day 11; one record of every kind. */
function full(): Doc {
  return makeDoc({
    containers: pens(2),
    assignments: [{ id: 'A1', container_id: 'C1', stage: 'Adult' }, { id: 'A2', container_id: 'C2', stage: null }],
    transfers: [{
      id: 'T1', date: D(11), source_assignment_id: 'A1', dest_assignment_id: 'A2', count: 300, mortality_in_transfer: 2,
      selection_method: 'LARGEST', measured_avg_weight_g: 150, measured_sample_size: 40, measured_avg_length_cm: 20,
      source_population_before: 1000,
    }],
    removals: [{ id: 'R1', assignment_id: 'A1', date: D(15), count: 50, kind: 'cull', avg_weight_g: 120 }],
    growth_samples: [{ id: 'G1', assignment_id: 'A1', date: D(20), sample_size: 30, avg_weight_g: 150, avg_length_cm: 22 }],
    weighings: [{ id: 'W1', assignment_id: 'A2', date: D(21), avg_weight_g: 170, sample_size: 50 }],
    manual_anchors: [{ id: 'MA1', assignment_id: 'A2', date: D(25), avg_weight_g: 180, note: 'x' }],
    mortality: [{ id: 'M1', assignment_id: 'A1', date: D(5), count: 3, cause: 'X' }],
    feed: [{ id: 'F1', assignment_id: 'A1', date: D(5), kg: 2 }],
    temperature_daily: [{ container_id: 'C1', date: D(3), mean_c: 9 }],
    temperature_readings: [{ container_id: 'C1', timestamp: `${D(4)}T06:00:00Z`, value: 9.5 }],
    stage_changes: [],
  });
}
function mod(f: (d: Doc) => void): () => Doc {
  return () => {
    const d = full();
    f(d);
    return d;
  };
}
const customStages = (): StageDoc[] => [
  { name: 'Egg&Alevin', order: 1, min_weight_g: 0.05, max_weight_g: 0.2, feeds: false, duration_days: 80, environment: 'freshwater' },
  { name: 'Fry', order: 2, min_weight_g: 0.2, max_weight_g: 6, feeds: true, environment: 'freshwater' },
  { name: 'Smolt', order: 3, min_weight_g: 6, max_weight_g: 180, feeds: true, environment: 'freshwater' },
  { name: 'Adult', order: 4, min_weight_g: 180, max_weight_g: 7000, feeds: true, environment: 'sea' },
];
const withStages = (f: (s: StageDoc[]) => void) =>
  mod((d) => {
    const s = customStages();
    f(s);
    d.stages = s;
    d.scenario.tgc_by_stage = { Fry: 3, Smolt: 3, Adult: 3 };
  });
const SC = /^(SC1|scenario)$/;

it('the fuller fixture is valid (and so is the custom stage table)', () => {
  run(full());
  run(withStages(() => {})());
});

describe('§7 ranges: weights 0 < w ≤ 30000 g', () => {
  const cases: Case[] = [
    ['placement 0', mod((d) => { d.placements![0].avg_weight_g = 0; }), 'P1', 'avg_weight_g'],
    ['placement 30001', mod((d) => { d.placements![0].avg_weight_g = 30001; }), 'P1', 'avg_weight_g'],
    ['placement negative', mod((d) => { d.placements![0].avg_weight_g = -1; }), 'P1', 'avg_weight_g'],
    ['sample −5', mod((d) => { d.growth_samples![0].avg_weight_g = -5; }), 'G1', 'avg_weight_g'],
    ['sample individual weight 0', mod((d) => { d.growth_samples![0].individual_weights_g = [150, 0]; }), 'G1', /^individual_weights_g/],
    ['transfer measured 0', mod((d) => { d.transfers![0].measured_avg_weight_g = 0; }), 'T1', 'measured_avg_weight_g'],
    ['removal 40000', mod((d) => { d.removals![0].avg_weight_g = 40000; }), 'R1', 'avg_weight_g'],
    ['weighing 0', mod((d) => { d.weighings![0].avg_weight_g = 0; }), 'W1', 'avg_weight_g'],
    ['manual 31000', mod((d) => { d.manual_anchors![0].avg_weight_g = 31000; }), 'MA1', 'avg_weight_g'],
    ['scenario start weight 0', mod((d) => { d.scenario.start_weight_g = 0; }), SC, 'start_weight_g'],
    ['scenario harvest weight 40000', mod((d) => { d.scenario.harvest_weight_g = 40000; }), SC, 'harvest_weight_g'],
    ['fcr band weights', mod((d) => { d.scenario.fcr_bands = [{ stage: 'Adult', min_weight_g: 500, max_weight_g: 40000, fcr: 1.1 }]; }), SC, /fcr_bands/],
  ];
  it.each(cases)('%s', (_n, build, record, field) => { expectError(build(), record, field); });
  it('30000 g is allowed', () => {
    run(makeDoc({ placements: [{ id: 'P1', assignment_id: 'A1', date: D(1), count: 10, avg_weight_g: 30000 }], as_of: D(2) }));
  });
});

describe('§7 ranges: lengths 0 < L ≤ 200 cm', () => {
  const cases: Case[] = [
    ['sample length 0', mod((d) => { d.growth_samples![0].avg_length_cm = 0; }), 'G1', 'avg_length_cm'],
    ['sample length 201', mod((d) => { d.growth_samples![0].avg_length_cm = 201; }), 'G1', 'avg_length_cm'],
    ['transfer length 250', mod((d) => { d.transfers![0].measured_avg_length_cm = 250; }), 'T1', 'measured_avg_length_cm'],
    ['individual length 300', mod((d) => {
      d.growth_samples![0].individual_weights_g = [140, 160];
      d.growth_samples![0].individual_lengths_cm = [22, 300];
    }), 'G1', /^individual_lengths_cm/],
  ];
  it.each(cases)('%s', (_n, build, record, field) => { expectError(build(), record, field); });
});

describe('§7 counts are non-negative integers; source_population_before ≥ 1; sample size ≤ population', () => {
  const cases: Case[] = [
    ['placement −1', mod((d) => { d.placements![0].count = -1; }), 'P1', 'count'],
    ['placement 10.5', mod((d) => { d.placements![0].count = 10.5; }), 'P1', 'count'],
    ['transfer 2.5', mod((d) => { d.transfers![0].count = 2.5; }), 'T1', 'count'],
    ['transfer −5', mod((d) => { d.transfers![0].count = -5; }), 'T1', 'count'],
    ['mortality_in_transfer −1', mod((d) => { d.transfers![0].mortality_in_transfer = -1; }), 'T1', 'mortality_in_transfer'],
    ['mortality_in_transfer 1.5', mod((d) => { d.transfers![0].mortality_in_transfer = 1.5; }), 'T1', 'mortality_in_transfer'],
    ['measured_sample_size 3.3', mod((d) => { d.transfers![0].measured_sample_size = 3.3; }), 'T1', 'measured_sample_size'],
    ['source_population_before 0', mod((d) => { d.transfers![0].source_population_before = 0; }), 'T1', 'source_population_before'],
    ['removal −3', mod((d) => { d.removals![0].count = -3; }), 'R1', 'count'],
    ['mortality −1', mod((d) => { d.mortality![0].count = -1; }), 'M1', 'count'],
    ['mortality 0.5', mod((d) => { d.mortality![0].count = 0.5; }), 'M1', 'count'],
    ['sample_size 2.5', mod((d) => { d.growth_samples![0].sample_size = 2.5; }), 'G1', 'sample_size'],
    ['sample_size −1', mod((d) => { d.growth_samples![0].sample_size = -1; }), 'G1', 'sample_size'],
    ['weighing sample_size −1', mod((d) => { d.weighings![0].sample_size = -1; }), 'W1', 'sample_size'],
    ['sample larger than the population', mod((d) => { d.growth_samples![0].sample_size = 5000; }), 'G1', 'sample_size'],
    ['weighing larger than the population', mod((d) => { d.weighings![0].sample_size = 1000; }), 'W1', 'sample_size'],
  ];
  it.each(cases)('%s', (_n, build, record, field) => { expectError(build(), record, field); });
  it('sample size up to max(N, N_end) of the day is allowed', () => {
    // A2 holds 300 fish before day 21; a 500-fish transfer in that day makes N_end 800
    const d = full();
    d.placements!.push({ id: 'P2', assignment_id: 'A2', date: D(21), count: 500, avg_weight_g: 170 });
    d.weighings![0].sample_size = 800;
    run(d);
    d.weighings![0].sample_size = 801;
    expectError(d, 'W1', 'sample_size');
  });
  it('the message says why (mentions the offending number)', () => {
    const e = expectError(mod((d) => { d.transfers![0].count = 2000; d.transfers![0].source_population_before = 2000; })(), 'T1', 'count');
    expect(e.message).toMatch(/2[,. ]?00[02]/); // count (+ mortality_in_transfer)
    expect(e.message).toMatch(/997/); // N1 = 1000 − 3 recorded on day 5
  });
});

describe('§7 scenario and site parameters', () => {
  const cases: Case[] = [
    ['TGC 10.5', mod((d) => { d.scenario.tgc_by_stage.Adult = 10.5; }), SC, /tgc_by_stage/],
    ['TGC −0.1', mod((d) => { d.scenario.tgc_by_stage.Fry = -0.1; }), SC, /tgc_by_stage/],
    ['mortality rate 0.2', mod((d) => { d.scenario.mortality_rate_by_stage = { Adult: 0.2 }; }), SC, /mortality_rate_by_stage/],
    ['mortality rate −0.001', mod((d) => { d.scenario.mortality_rate_by_stage = { Adult: -0.001 }; }), SC, /mortality_rate_by_stage/],
    ['FCR 11', mod((d) => { d.scenario.fcr_by_stage = { Adult: 11 }; }), SC, /fcr_by_stage/],
    ['FCR band 12', mod((d) => { d.scenario.fcr_bands = [{ stage: 'Adult', min_weight_g: 500, max_weight_g: 2000, fcr: 12 }]; }), SC, /fcr_bands/],
    ['weight_cv 0.005', mod((d) => { d.site.weight_cv = 0.005; }), 'S1', 'weight_cv'],
    ['weight_cv 1.5', mod((d) => { d.site.weight_cv = 1.5; }), 'S1', 'weight_cv'],
    ['a feeding stage without TGC', mod((d) => { delete d.scenario.tgc_by_stage.Parr; }), SC, /tgc_by_stage/],
    ['missing scenario', mod((d) => { delete (d as Partial<Doc>).scenario; }), /.*/, /^scenario/],
    ['no profile points where needed', mod((d) => { d.scenario.temperature_profile = { points: [] }; }), SC, /temperature_profile|points/],
  ];
  it.each(cases)('%s', (_n, build, record, field) => { expectError(build(), record, field); });
});

describe('§7 enums are exact', () => {
  const cases: Case[] = [
    ['selection_method largest', mod((d) => { (d.transfers![0] as any).selection_method = 'largest'; }), 'T1', 'selection_method'],
    ['selection_method RANDOM', mod((d) => { (d.transfers![0] as any).selection_method = 'RANDOM'; }), 'T1', 'selection_method'],
    ['kind Harvest', mod((d) => { (d.removals![0] as any).kind = 'Harvest'; }), 'R1', 'kind'],
    ['container environment Sea', mod((d) => { (d.containers[0] as any).environment = 'Sea'; }), 'C1', 'environment'],
    ['stage environment salt', withStages((s) => { (s[3] as any).environment = 'salt'; }), 'Adult', 'environment'],
  ];
  it.each(cases)('%s', (_n, build, record, field) => { expectError(build(), record, field); });
});

describe('§7 stages and environments', () => {
  const cases: Case[] = [
    ['unknown stage in tgc_by_stage', mod((d) => { d.scenario.tgc_by_stage.Smolty = 3; }), SC, /tgc_by_stage/],
    ['unknown stage in mortality_rate_by_stage', mod((d) => { d.scenario.mortality_rate_by_stage = { Foo: 0.001 }; }), SC, /mortality_rate_by_stage/],
    ['unknown stage in fcr_by_stage', mod((d) => { d.scenario.fcr_by_stage = { Foo: 1 }; }), SC, /fcr_by_stage/],
    ['unknown stage in fcr_bands', mod((d) => { d.scenario.fcr_bands = [{ stage: 'Foo', min_weight_g: 1, max_weight_g: 2, fcr: 1 }]; }), SC, /fcr_bands/],
    ['unknown scenario start_stage', mod((d) => { d.scenario.start_stage = 'Foo'; }), SC, 'start_stage'],
    ['unknown assignment stage', mod((d) => { d.assignments[0].stage = 'Foo'; }), 'A1', 'stage'],
    ['unknown dest_stage', mod((d) => { d.transfers![0].dest_stage = 'Foo'; }), 'T1', 'dest_stage'],
    ['unknown stage change', mod((d) => { d.stage_changes = [{ id: 'SC-1', assignment_id: 'A1', date: D(8), stage: 'Foo' }]; }), 'SC-1', 'stage'],
    ['change to an earlier stage', mod((d) => { d.stage_changes = [{ id: 'SC-1', assignment_id: 'A1', date: D(8), stage: 'Smolt' }]; }), 'SC-1', 'stage'],
    ['container without environment', mod((d) => { delete (d.containers[1] as any).environment; }), 'C2', 'environment'],
    ['stage without environment', withStages((s) => { delete (s[1] as any).environment; }), 'Fry', 'environment'],
    ['leading non-feeding stage without duration_days', withStages((s) => { s[0].duration_days = null; }), 'Egg&Alevin', 'duration_days'],
  ];
  it.each(cases)('%s', (_n, build, record, field) => { expectError(build(), record, field); });
});

describe('§7 references: every record\'s stage, assignment and container ids are known', () => {
  const cases: Case[] = [
    ['placement assignment', mod((d) => { d.placements![0].assignment_id = 'A9'; }), 'P1', 'assignment_id'],
    ['transfer source', mod((d) => { d.transfers![0].source_assignment_id = 'A9'; }), 'T1', 'source_assignment_id'],
    ['transfer destination', mod((d) => { d.transfers![0].dest_assignment_id = 'A9'; }), 'T1', 'dest_assignment_id'],
    ['removal assignment', mod((d) => { d.removals![0].assignment_id = 'A9'; }), 'R1', 'assignment_id'],
    ['sample assignment', mod((d) => { d.growth_samples![0].assignment_id = 'A9'; }), 'G1', 'assignment_id'],
    ['weighing assignment', mod((d) => { d.weighings![0].assignment_id = 'A9'; }), 'W1', 'assignment_id'],
    ['manual anchor assignment', mod((d) => { d.manual_anchors![0].assignment_id = 'A9'; }), 'MA1', 'assignment_id'],
    ['mortality assignment', mod((d) => { d.mortality![0].assignment_id = 'A9'; }), 'M1', 'assignment_id'],
    ['feed assignment', mod((d) => { d.feed![0].assignment_id = 'A9'; }), 'F1', 'assignment_id'],
    ['feed container', mod((d) => { d.feed![0] = { id: 'F1', container_id: 'C9', date: D(5), kg: 2 }; }), 'F1', 'container_id'],
    ['stage change assignment', mod((d) => { d.stage_changes = [{ id: 'SC-1', assignment_id: 'A9', date: D(8), stage: 'Adult' }]; }), 'SC-1', 'assignment_id'],
    ['assignment container', mod((d) => { d.assignments[1].container_id = 'C9'; }), 'A2', 'container_id'],
    ['temperature daily container', mod((d) => { d.temperature_daily![0].container_id = 'C9'; }), /C9/, 'container_id'],
    ['temperature reading container', mod((d) => { d.temperature_readings![0].container_id = 'C9'; }), /C9/, 'container_id'],
  ];
  it.each(cases)('%s', (_n, build, record, field) => { expectError(build(), record, field); });
});

describe('§7 feed carries exactly one of assignment_id / container_id', () => {
  it('both', () => { expectError(mod((d) => { d.feed![0].container_id = 'C1'; })(), 'F1', /assignment_id|container_id/); });
  it('neither', () => { expectError(mod((d) => { d.feed![0].assignment_id = null; })(), 'F1', /assignment_id|container_id/); });
});

describe('§7 dates and days with fish', () => {
  const cases: Case[] = [
    ['mortality before the batch start', mod((d) => { d.mortality![0].date = '2024-12-31'; }), 'M1', 'date'],
    ['feed before the batch start', mod((d) => { d.feed![0].date = '2024-12-20'; }), 'F1', 'date'],
    ['placement before the batch start', mod((d) => { d.placements![0].date = '2024-12-31'; }), 'P1', 'date'],
    ['sample before the batch start', mod((d) => { d.growth_samples![0].date = '2024-12-31'; }), 'G1', 'date'],
    ['inflow after the assignment was emptied', mod((d) => {
      d.removals = [{ id: 'R1', assignment_id: 'A2', date: D(22), count: 300, kind: 'harvest', closes_source: true }];
      d.manual_anchors = [];
      d.placements!.push({ id: 'P2', assignment_id: 'A2', date: D(26), count: 100, avg_weight_g: 200 });
    }), 'P2', /date|assignment_id/],
    ['transfer into an emptied assignment', mod((d) => {
      d.removals = [{ id: 'R1', assignment_id: 'A2', date: D(22), count: 300, kind: 'harvest', closes_source: true }];
      d.manual_anchors = [];
      d.transfers!.push({ id: 'T2', date: D(26), source_assignment_id: 'A1', dest_assignment_id: 'A2', count: 10, selection_method: 'AVERAGE' });
    }), 'T2', /date|dest_assignment_id/],
    ['mortality after the assignment was emptied', mod((d) => {
      d.removals = [{ id: 'R1', assignment_id: 'A2', date: D(22), count: 300, kind: 'harvest', closes_source: true }];
      d.manual_anchors = [];
      d.mortality!.push({ id: 'M2', assignment_id: 'A2', date: D(24), count: 1, cause: 'X' });
    }), 'M2', /date|assignment_id/],
    ['feed before the assignment\'s first inflow', mod((d) => { d.feed!.push({ id: 'F2', assignment_id: 'A2', date: D(8), kg: 1 }); }), 'F2', /date|assignment_id/],
    ['container feed for a container without fish', mod((d) => {
      d.containers.push({ id: 'C3', environment: 'sea' });
      d.feed!.push({ id: 'F2', container_id: 'C3', date: D(8), kg: 1 });
    }), 'F2', /date|container_id/],
    ['container feed where the fish arrived and left the same day', mod((d) => {
      d.containers.push({ id: 'C3', environment: 'sea' });
      d.assignments.push({ id: 'A3', container_id: 'C3', stage: null });
      d.transfers!.push({ id: 'T2', date: D(11), source_assignment_id: 'A2', dest_assignment_id: 'A3', count: 300, selection_method: 'AVERAGE' });
      d.weighings = [];
      d.manual_anchors = [];
      d.feed!.push({ id: 'F2', container_id: 'C2', date: D(11), kg: 1 });
    }), 'F2', /date|container_id|kg/],
    ['removal on a day without fish', mod((d) => { d.removals!.push({ id: 'R2', assignment_id: 'A2', date: D(5), count: 1, kind: 'cull' }); }), 'R2', /date|assignment_id/],
    ['transfer out on a day without fish', mod((d) => {
      d.transfers!.push({ id: 'T2', date: D(5), source_assignment_id: 'A2', dest_assignment_id: 'A1', count: 1, selection_method: 'AVERAGE' });
    }), 'T2', /date|source_assignment_id/],
    ['sample (an anchor) before the first inflow', mod((d) => { d.growth_samples![0].assignment_id = 'A2'; d.growth_samples![0].date = D(8); }), 'G1', /date|assignment_id/],
    ['weighing after the assignment was emptied', mod((d) => {
      d.removals = [{ id: 'R1', assignment_id: 'A2', date: D(22), count: 300, kind: 'harvest', closes_source: true }];
      d.manual_anchors = [];
      d.weighings![0].date = D(23);
    }), 'W1', /date|assignment_id/],
    ['manual anchor before the first inflow', mod((d) => { d.manual_anchors![0].date = D(9); }), 'MA1', /date|assignment_id/],
    ['batch-level mortality when no assignment had fish the day before (batch start)', mod((d) => {
      d.mortality!.push({ id: 'BM1', assignment_id: null, date: D(1), count: 1, cause: 'X' });
    }), 'BM1', /date|assignment_id|count/],
    ['transfer larger than the source beyond tolerance', mod((d) => {
      d.transfers![0].count = 1100;
      d.transfers![0].source_population_before = 1100;
    }), 'T1', 'count'],
    ['placement without weight not on the start date', () =>
      makeDoc({ placements: [{ id: 'P1', assignment_id: 'A1', date: D(3), count: 1000 }] }), 'P1', 'avg_weight_g'],
    ['bad date format', mod((d) => { d.mortality![0].date = '2025-1-5'; }), 'M1', 'date'],
  ];
  it.each(cases)('%s', (_n, build, record, field) => { expectError(build(), record, field); });

  it('feed, mortality and samples on the emptying day are allowed (that day still has fish)', () => {
    const d = full();
    d.removals = [{ id: 'R1', assignment_id: 'A2', date: D(22), count: 300, kind: 'harvest', closes_source: true }];
    d.manual_anchors = [];
    d.feed!.push({ id: 'F2', assignment_id: 'A2', date: D(22), kg: 1 }, { id: 'F3', container_id: 'C2', date: D(22), kg: 1 });
    d.mortality!.push({ id: 'M2', assignment_id: 'A2', date: D(22), count: 1, cause: 'X' });
    d.growth_samples!.push({ id: 'G2', assignment_id: 'A2', date: D(22), sample_size: 10, avg_weight_g: 170 });
    run(d);
  });

  it('temperatures may be dated before the batch start', () => {
    const d = full();
    d.temperature_daily!.push({ container_id: 'C1', date: '2024-12-28', mean_c: 7 });
    run(d);
  });
});

describe('§7 records after the as-of date are still range- and reference-checked', () => {
  const cases: Case[] = [
    ['sample weight after as-of', mod((d) => { d.growth_samples!.push({ id: 'G9', assignment_id: 'A1', date: D(40), sample_size: 10, avg_weight_g: -1 }); }), 'G9', 'avg_weight_g'],
    ['unknown assignment after as-of', mod((d) => { d.mortality!.push({ id: 'M9', assignment_id: 'A9', date: D(40), count: 1, cause: 'X' }); }), 'M9', 'assignment_id'],
    ['negative count after as-of', mod((d) => { d.removals!.push({ id: 'R9', assignment_id: 'A1', date: D(45), count: -2, kind: 'cull' }); }), 'R9', 'count'],
    ['bad enum after as-of', mod((d) => { d.removals!.push({ id: 'R9', assignment_id: 'A1', date: D(45), count: 2, kind: 'slaughter' as any }); }), 'R9', 'kind'],
  ];
  it.each(cases)('%s', (_n, build, record, field) => { expectError(build(), record, field); });
  it('the same records are accepted once fixed (no error from the as-of cut itself)', () => {
    const d = full();
    d.growth_samples!.push({ id: 'G9', assignment_id: 'A1', date: D(40), sample_size: 10, avg_weight_g: 300 });
    run(d);
  });
});

describe('format', () => {
  it('wrong format string', () => {
    const d = full();
    (d as any).format = 'aquamind-site/batch@2';
    expectError(d, /.*/, 'format');
  });
  it('bad input never produces states', () => {
    const d = full();
    d.placements![0].count = -1;
    expect(errorsOf(d).length).toBeGreaterThan(0);
  });
});
