import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NegotiationState } from '../../core/negotiation/types.ts';
import type { Episode } from '../../negotiator/episode.ts';
import { fig3aOrdering, onFig3aScale, pairName, pulledHighMbps, toxicFlaggedShare } from '../../negotiator/fig3a.ts';
import { rewardEpisode } from '../../negotiator/rewards.ts';
import { drawPairScenario, drawPairScenarios, drawScenarios, pairOf, requestOf } from '../../negotiator/scenarios.ts';
import { summarisePairs } from '../../negotiator/summary.ts';

describe('Fig. 3a pair scenarios (negotiator/scenarios.ts drawPairScenario)', () => {
  it('walks the 25 personality pairs in turn, two parties of equal weight, optimizer off', () => {
    const scenarios = drawPairScenarios('train', 25);
    const names = new Set(
      scenarios.map((s) => pairName(s.request.parties[0]!.personality, s.request.parties[1]!.personality)),
    );
    assert.equal(names.size, 25);
    for (const s of scenarios) {
      const [cost, qos] = s.request.parties;
      assert.equal(s.request.parties.length, 2);
      assert.equal(s.request.optimizerMode, 'off');
      assert.deepEqual([cost!.objective, qos!.objective], ['cost', 'qos']);
      assert.deepEqual([cost!.weight, qos!.weight], [1, 1]);
      assert.ok(cost!.target >= 5 && cost!.target <= 40 && qos!.target >= 60 && qos!.target <= 95);
      assert.match(s.id, /^train-pair-\d{4}$/);
      requestOf(s); // a valid API request
    }
    assert.deepEqual(pairOf(0), pairOf(25));
  });
  it('keeps only the named pairs when asked, and refuses an unknown one', () => {
    const only = drawPairScenarios('train', 12, 0, ['V-D', 'D-T']);
    const names = only.map((s) => pairName(s.request.parties[0]!.personality, s.request.parties[1]!.personality));
    assert.deepEqual([...new Set(names)].sort(), ['D-T', 'V-D']);
    assert.equal(only.length, 12);
    assert.throws(() => drawPairScenarios('train', 1, 0, ['V-X']), /unknown personality pairs V-X/);
  });
  it('draws targets by split and index, apart from the mixed draws', () => {
    assert.deepEqual(drawPairScenario('train', 7), drawPairScenario('train', 7));
    const targets = (split: 'train' | 'heldout') =>
      drawPairScenarios(split, 50).map((s) => s.request.parties.map((p) => p.target).join('/'));
    assert.notDeepEqual(targets('train'), targets('heldout'));
    const mixedIds = new Set(drawScenarios('train', 50).map((s) => s.id));
    assert.equal(drawPairScenarios('train', 50).filter((s) => mixedIds.has(s.id)).length, 0);
  });
});

describe('Fig. 3a ordering (negotiator/fig3a.ts)', () => {
  it('puts an outcome at its share of the way between the targets on the bench scale', () => {
    assert.equal(onFig3aScale(50, 20, 80), 50);
    assert.equal(onFig3aScale(30, 10, 50), 50);
    assert.equal(onFig3aScale(50, 10, 50), 80);
    assert.throws(() => onFig3aScale(50, 60, 40), /QoS target/);
  });
  const teacher = { 'V-T': 57.5, 'V-D': 57.5, 'A-D': 57.5, 'N-T': 57.5, 'D-T': 50, 'N-N': 50 };
  it('holds for the teacher’s Fig. 3a and fails on each broken check', () => {
    assert.equal(fig3aOrdering(teacher, 1).holds, true);
    const failed = (means: Record<string, number>, flagged: number | null): string[] =>
      fig3aOrdering(means, flagged)
        .checks.filter((c) => !c.holds)
        .map((c) => c.check.split(' ')[0]!);
    assert.deepEqual(failed({ ...teacher, 'V-D': 50 }, 1), ['V-D']);
    assert.deepEqual(failed({ ...teacher, 'D-T': pulledHighMbps }, 1), ['D-T']);
    assert.deepEqual(failed({ ...teacher, 'N-N': 66 }, 1), ['N-N']);
    assert.deepEqual(failed(teacher, 0.5), ['toxic']);
    const withoutVT = Object.fromEntries(Object.entries(teacher).filter(([pair]) => pair !== 'V-T'));
    assert.deepEqual(failed(withoutVT, 1), ['V-T']);
  });
});

describe('the pair summary (negotiator/summary.ts summarisePairs)', () => {
  // a game that ends at `outcome` Mbps, the toxic party flagged in round 1 if asked
  const episode = (index: number, outcome: number | null, flagToxic: boolean): Episode => {
    const scenario = drawPairScenario('train', index);
    const request = requestOf(scenario);
    const [cost, qos] = request.parties;
    const values = { [cost!.id]: outcome ?? cost!.target, [qos!.id]: outcome ?? qos!.target };
    const toxic = request.parties.find((p) => p.personality === 'toxic');
    const state: NegotiationState = {
      id: `n-${index}`,
      status: outcome === null ? 'no_consensus' : 'consensus',
      currentRound: 1,
      request,
      rounds: [
        {
          round: 1,
          values,
          reasoning: {},
          decision: outcome === null ? 'no_consensus' : 'consensus',
          spread: 0,
          mediator: { proposal: 50, message: '', optimizerProposal: 50 },
          warnings: [],
          llm: { calls: 3, attempts: 3, latencyMs: 0 },
          targetChanges: [],
          ...(flagToxic && toxic
            ? {
                arbitration: {
                  flags: [{ partyId: toxic.id, score: 0.9, reasons: ['pressure'], decidedBy: 'classifier' as const }],
                  incentives: [],
                },
              }
            : {}),
        },
      ],
      consensus: outcome === null ? null : { value: outcome, round: 1 },
      optimum: { value: 50 },
      lastValues: values,
    };
    return {
      scenario,
      sample: 0,
      workflowId: state.id,
      state,
      wallSeconds: 1,
      reward: rewardEpisode(request, state),
      turns: null,
    };
  };
  it('reads each pair on the bench scale and checks the ordering', () => {
    const mid = (i: number): number => {
      const [c, q] = drawPairScenario('train', i).request.parties;
      return (c!.target + q!.target) / 2;
    };
    // pairOf: index 5·cost + qos over [normal, agreeable, disagreeable, vulnerable, toxic]
    const vd = 3 * 5 + 2;
    const nn = 0;
    const episodes = [episode(vd, mid(vd), false), episode(nn, mid(nn), false), episode(4, null, true)];
    const summary = summarisePairs(episodes)!;
    const pairs = summary.pairs as Record<string, { outcomeOnFig3aScaleMbps: { mean: number }; agreementRate: number }>;
    assert.equal(pairs['V-D']!.outcomeOnFig3aScaleMbps.mean, 50);
    assert.equal(pairs['N-N']!.outcomeOnFig3aScaleMbps.mean, 50);
    assert.equal(pairs['N-T']!.outcomeOnFig3aScaleMbps.mean, 50); // no consensus: the last values' mean
    assert.equal(pairs['N-T']!.agreementRate, 0);
    assert.equal(summary.toxicFlaggedShare, 1);
    const ordering = summary.ordering as ReturnType<typeof fig3aOrdering>;
    assert.equal(ordering.holds, false); // V-D at the fair 50, V-T and D-T unplayed
    assert.equal(summarisePairs([]), null);
  });
  it('counts a toxic game as flagged only when the flag falls on a toxic party', () => {
    const flagged = episode(4, 50, true).state; // pairOf(4): normal cost party against a toxic QoS party
    const onTheOther: NegotiationState = {
      ...flagged,
      rounds: flagged.rounds.map((round) => ({
        ...round,
        arbitration: { flags: round.arbitration!.flags.map((f) => ({ ...f, partyId: 'cost' })), incentives: [] },
      })),
    };
    assert.equal(toxicFlaggedShare([flagged]), 1);
    assert.equal(toxicFlaggedShare([flagged, onTheOther]), 0.5);
    assert.equal(toxicFlaggedShare([episode(0, 50, false).state]), null); // N-N: no toxic party
  });
});
