import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  evaluateTeacher,
  fixedPointMediator,
  meanMediator,
  personaTeacher,
  rungTableMediator,
  searchRungTable,
  ruleTeacher,
  searchWeightMap,
  simulate,
  splitTeacher,
  takeHalfHoldTeacher,
  weightMapTeacher,
  weightPersonaTeacher,
  weightTeacher,
  type SimParty,
} from '../../negotiator/concession.ts';
import { drawScenarios } from '../../negotiator/scenarios.ts';
import { answerKind, mediatorProbe } from '../../negotiator/copies.ts';
import type { Episode } from '../../negotiator/episode.ts';
import { movesPointTo, movesWeightByRung, nearestRung, revealedFirmness } from '../../core/negotiation/moves.ts';

const pair = (a: Partial<SimParty>, b: Partial<SimParty>): SimParty[] => [
  { target: 20, weight: 1, personality: 'normal', ...a },
  { target: 80, weight: 1, personality: 'normal', ...b },
];

test('the rule stops at the mean of the targets, whatever the weights', () => {
  assert.equal(simulate(pair({ weight: 2 }, { weight: 0.5 }), ruleTeacher), 50);
});

test("the persona teacher ends a quarter of the gap on a firm party's side (Fig. 3a's 65 Mbps)", () => {
  assert.equal(simulate(pair({ personality: 'vulnerable' }, { personality: 'toxic' }), personaTeacher), 65);
  assert.equal(simulate(pair({ personality: 'disagreeable' }, { personality: 'toxic' }), personaTeacher), 50);
});

test("firmness proportional to the weight converges to eq. (1)'s weighted optimum", () => {
  const parties = pair({ weight: 2 }, { weight: 0.5 }); // optimum (2·20 + 0.5·80) / 2.5 = 32
  const early = Math.abs(simulate(parties, weightTeacher(0.4, 3)) - 32);
  const late = Math.abs(simulate(parties, weightTeacher(0.4, 12)) - 32);
  assert.ok(early < 18, `one round of holding moves toward the optimum (${early})`);
  assert.ok(late < early && late < 0.05, `more rounds close in on it (${late})`);
});

test('a firm party still drags a yielding one under the weight-persona teacher', () => {
  const dragged = simulate(pair({ personality: 'vulnerable' }, { personality: 'toxic' }), weightPersonaTeacher(0.4, 4));
  assert.ok(dragged > 52 && dragged < 65, `pulled high, less than the persona teacher (${dragged})`);
});

test('evaluateTeacher reports errors by subset and the Fig. 3a pairs', () => {
  const scenarios = drawScenarios('train', 40).filter((s) => s.request.optimizerMode === 'off');
  const rule = evaluateTeacher(scenarios, ruleTeacher);
  const weight = evaluateTeacher(scenarios, weightTeacher(0.4, 5));
  assert.ok(weight.errorMbps.all < rule.errorMbps.all);
  assert.deepEqual(Object.keys(rule.fig3a), ['V-T', 'V-D', 'A-D', 'N-T', 'D-T', 'N-N']);
  assert.equal(rule.fig3a['N-N'], 50);
});

test("the three-round teacher lands nearer the optimum than the rule in one concession round, and keeps Fig. 3a's drag", () => {
  // weights 0.6 ("a little": takes the proposal) and 1.6 ("a lot": holds): 50 → (50 + 80) / 2 = 65,
  // the optimum (0.6·20 + 1.6·80) / 2.2 = 63.6, the rule's 50
  assert.equal(simulate(pair({ weight: 0.6 }, { weight: 1.6 }), takeHalfHoldTeacher), 65);
  const scenarios = drawScenarios('train', 400).filter((s) => s.request.optimizerMode === 'off');
  const rule = evaluateTeacher(scenarios, ruleTeacher);
  const fast = evaluateTeacher(scenarios, takeHalfHoldTeacher);
  assert.equal(fast.rounds, 3);
  assert.ok(fast.errorMbps.all < rule.errorMbps.all - 1, `${fast.errorMbps.all} vs the rule's ${rule.errorMbps.all}`);
  // a firm QoS party drags a yielding cost party up; two firm ones, or two normal ones, meet in the middle
  assert.ok(fast.fig3a['V-T']! > 55 && fast.fig3a['A-D']! > 55, JSON.stringify(fast.fig3a));
  assert.equal(fast.fig3a['D-T'], 50);
  assert.equal(fast.fig3a['N-N'], 50);
});

test("the split teacher moves the 'moderately' band by the weight and keeps the three-round teacher's Fig. 3a", () => {
  // weights 1.0 (under the split: three quarters of the way) and 1.3 (at or over it: a quarter of the way):
  // 20 → 20 + 0.75·30 = 42.5, 80 → 80 − 0.25·30 = 72.5, so 57.5; the optimum (20 + 1.3·80) / 2.3 = 53.9, the
  // three-round teacher's 50 (both halve)
  assert.equal(simulate(pair({ weight: 1 }, { weight: 1.3 }), splitTeacher()), 57.5);
  assert.equal(simulate(pair({ weight: 1 }, { weight: 1.3 }), takeHalfHoldTeacher), 50);
  // a split that no weight reaches is the three-quarters move for the whole band
  assert.equal(simulate(pair({ weight: 1 }, { weight: 1.3 }), splitTeacher(9)), 50);
  const scenarios = drawScenarios('train', 400).filter((s) => s.request.optimizerMode === 'off');
  const split = evaluateTeacher(scenarios, splitTeacher());
  const halves = evaluateTeacher(scenarios, takeHalfHoldTeacher);
  assert.equal(split.rounds, 3);
  assert.ok(split.errorMbps.all < halves.errorMbps.all - 0.4, `${split.errorMbps.all} vs ${halves.errorMbps.all}`);
  assert.deepEqual(split.fig3a, halves.fig3a);
});

test("a weight map with the split teacher's bands is the split teacher, and the search only improves on it", () => {
  const scenarios = drawScenarios('train', 200).filter((s) => s.request.optimizerMode === 'off');
  const splitBands = [0, 0, 0, 0, 1, 1, 1, 1, 3, 3, 3, 3, 4, 4, 4];
  const split = evaluateTeacher(scenarios, splitTeacher());
  assert.deepEqual(evaluateTeacher(scenarios, weightMapTeacher(splitBands, 2)).errorMbps, split.errorMbps);
  const searched = (firmShift: number): number =>
    evaluateTeacher(scenarios, weightMapTeacher(searchWeightMap(scenarios, firmShift, 1), firmShift)).errorMbps.all;
  assert.ok(searched(2) <= split.errorMbps.all, 'never worse than its start');
  // without the firm parties' drag the split bands are not the best map: the search must find a better one
  const undragged = evaluateTeacher(scenarios, weightMapTeacher(splitBands, 0)).errorMbps.all;
  assert.ok(searched(0) < undragged - 0.1, `${searched(0)} vs ${undragged}`);
  // without the firm parties' drag Fig. 3a's pairs all end at the mean
  assert.equal(
    simulate(pair({ personality: 'vulnerable' }, { personality: 'toxic' }), weightMapTeacher(splitBands, 0)),
    50,
  );
});

test('a move reads as the firmness it shows and the ladder rung nearest to it', () => {
  // from 20 toward MAESTRO's 60: taking it keeps none of the distance, holding all of it, 50 a quarter
  assert.equal(revealedFirmness(20, 60, 60), 0);
  assert.equal(revealedFirmness(20, 60, 20), 1);
  assert.equal(revealedFirmness(20, 60, 50), 0.25);
  assert.equal(revealedFirmness(100, 60, 70), 0.25, 'from above as from below');
  assert.equal(revealedFirmness(20, 60, 90), 0, 'past the proposal is clamped to taking it');
  assert.equal(revealedFirmness(20, 60, 0), 1, 'away from it is clamped to holding');
  assert.equal(revealedFirmness(60, 60, 70), 0.5, 'a party already at the proposal shows nothing');
  assert.deepEqual([0, 0.1, 0.25, 0.5, 0.7, 1].map(nearestRung), [0, 0, 1, 2, 3, 4]);
  assert.equal(movesPointTo([], 60), null);
  // one took MAESTRO's 60 from 20 (0.5), one held 100 (1.3)
  const point = movesPointTo(
    [
      { before: 20, now: 60 },
      { before: 100, now: 100 },
    ],
    60,
  );
  assert.ok(Math.abs(point! - (0.5 * 20 + 1.3 * 100) / 1.8) < 1e-9);
  assert.deepEqual(
    [...movesWeightByRung],
    [...movesWeightByRung].sort((a, b) => a - b),
    'a firmer rung never counts less',
  );
});

test("MAESTRO reading the split teacher's moves lands nearer the optimum than the mean, Fig. 3a's drag kept", () => {
  const scenarios = drawScenarios('train', 400).filter((s) => s.request.optimizerMode === 'off');
  const mean = evaluateTeacher(scenarios, splitTeacher(), meanMediator);
  const moves = evaluateTeacher(scenarios, splitTeacher(), rungTableMediator(movesWeightByRung));
  assert.ok(moves.errorMbps.all < mean.errorMbps.all - 0.4, `${moves.errorMbps.all} vs ${mean.errorMbps.all}`);
  assert.deepEqual(moves.fig3a, mean.fig3a);
  assert.match(moves.teacher, /MAESTRO rung table/);
  // the policy-free fixed point does not: it cannot tell a firm party's personality from its weight
  const fixed = evaluateTeacher(scenarios, splitTeacher(), fixedPointMediator(0.75));
  assert.ok(fixed.errorMbps.all > moves.errorMbps.all + 0.3);
  // with every party moving half of the way the table counts all alike, and so proposes what the mean does
  const halves = { name: 'halves', acceptRound: 3, firmness: () => 0.5 };
  const even = evaluateTeacher(scenarios, halves, rungTableMediator(movesWeightByRung)).errorMbps.all;
  assert.ok(Math.abs(even - evaluateTeacher(scenarios, halves).errorMbps.all) < 1e-9);
});

test('the rung-table search keeps the drag it is asked to and finds a monotone table', () => {
  const scenarios = drawScenarios('train', 120).filter((s) => s.request.optimizerMode === 'off');
  const table = searchRungTable(scenarios, splitTeacher(), 57.5);
  assert.deepEqual(
    table,
    [...table].sort((a, b) => a - b),
  );
  const row = evaluateTeacher(scenarios, splitTeacher(), rungTableMediator(table));
  assert.ok(row.fig3a['V-T']! >= 57.5 && row.fig3a['V-D']! >= 57.5);
  assert.ok(row.errorMbps.all <= evaluateTeacher(scenarios, splitTeacher()).errorMbps.all);
});

test('negotiator:copies rebuilds the round-2 MAESTRO prompt with the moves line and sorts the answers', () => {
  const round = (n: number, values: Record<string, number>, proposal: number) => ({
    round: n,
    values,
    reasoning: Object.fromEntries(Object.keys(values).map((id) => [id, `I ask ${values[id]}.`])),
    mediator: { proposal, message: '', optimizerProposal: 0 },
  });
  const episode = (optimizerMode: 'off' | 'soft', second: Record<string, number>) =>
    ({
      workflowId: 'w',
      state: {
        request: {
          topic: { name: 'throughput', unit: 'Mbps', min: 0, max: 134 },
          parties: [
            { id: 'bo-1', objective: 'cost' },
            { id: 'bo-2', objective: 'qos' },
          ],
          maxRounds: 5,
          optimizerMode,
        },
        // bo-1 takes MAESTRO's 60 (counted 0.5), bo-2 holds 100 (1.3): (0.5·20 + 1.3·100) / 1.8 = 77.78; mean 80
        rounds: [round(1, { 'bo-1': 20, 'bo-2': 100 }, 60), round(2, second, 77.78), round(3, second, 0)],
      },
    }) as unknown as Episode;
  const probe = mediatorProbe(episode('off', { 'bo-1': 60, 'bo-2': 100 }))!;
  assert.equal(probe.movesValue, 77.78);
  assert.equal(probe.meanValue, 80);
  assert.match(probe.messages[1]!.content, /Mean of the demands: 80 Mbps\.\nWhere their moves point: 77.78 Mbps\./);
  assert.equal(answerKind('{"reasoning":"Meet at 77.78.","value":77.78}', probe), 'moves');
  assert.equal(answerKind('{"reasoning":"Meet at 80.","value":80}', probe), 'mean');
  assert.equal(answerKind('{"reasoning":"Meet at 70.","value":70}', probe), 'other');
  assert.equal(answerKind('no JSON here', probe), 'invalid');
  // soft mode shows the optimizer, not the line; moves that point where the mean does cannot tell the two apart
  assert.equal(mediatorProbe(episode('soft', { 'bo-1': 60, 'bo-2': 100 })), null);
  assert.equal(mediatorProbe(episode('off', { 'bo-1': 50, 'bo-2': 70 })), null);
});
