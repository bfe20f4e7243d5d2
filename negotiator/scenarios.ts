/**
 * Scenarios for the negotiator's training environment (issue 15, item 1): negotiations drawn like
 * the benchmarks' (bench/lib/games.ts `variedParties`, bench/personalities.ts), with the two things
 * the benchmarks hold fixed varied as well: 2–10 parties with a personality each, and the optimizer
 * off or soft (hard mode is left out: there validation replaces the model's value, so nothing the
 * model says changes the outcome).
 *
 * Two splits from disjoint seeds: `train` (what rejection sampling and PPO may roll out on) and
 * `heldout` (measured once per model, never tuned on). A scenario's id says its split and index, so
 * a rollout file can be checked against the split it claims.
 */
import { z } from 'zod';
import {
  negotiationRequestSchema,
  objectiveSchema,
  optimizerModeSchema,
  personalities,
  personalitySchema,
  type NegotiationRequest,
  type Personality,
} from '../core/negotiation/schemas.ts';
import { lcg } from '../bench/lib/random.ts';
import { fig3aTopic, pairName } from './fig3a.ts';

export const scenarioSplits = ['train', 'heldout'] as const;
export type ScenarioSplit = (typeof scenarioSplits)[number];

/** Seeds of the two splits: far apart, so no draw of one split repeats in the other. */
export const splitSeeds: Record<ScenarioSplit, number> = { train: 15_001, heldout: 915_013 };

export const scenarioSchema = z.strictObject({
  id: z.string().regex(/^(train|heldout)-(pair-)?\d{4}$/),
  split: z.enum(scenarioSplits),
  request: z.strictObject({
    topic: z.strictObject({ name: z.string(), unit: z.string(), min: z.number(), max: z.number() }),
    parties: z
      .array(
        z.strictObject({
          id: z.string(),
          objective: objectiveSchema,
          target: z.number(),
          weight: z.number(),
          personality: personalitySchema,
        }),
      )
      .min(2)
      .max(10),
    maxRounds: z.number().int(),
    tolerance: z.number(),
    optimizerMode: optimizerModeSchema.exclude(['hard']),
  }),
});
export type Scenario = z.infer<typeof scenarioSchema>;

/** The shared base station of the paper's Section IV-B (and of bench:complexity). */
export const scenarioTopic = { name: 'throughput of the shared base station', unit: 'Mbps', min: 0, max: 134 };

const pick = <T>(items: readonly T[], rand: () => number): T => items[Math.floor(rand() * items.length)]!;
const round2 = (x: number): number => Math.round(x * 100) / 100;

/**
 * Party counts: half the scenarios two-party (the case the targets are stated for), the
 * rest spread over 3–10.
 */
function drawPartyCount(rand: () => number): number {
  return rand() < 0.5 ? 2 : 3 + Math.floor(rand() * 8);
}

/**
 * One scenario. Cost parties aim low (5–50 Mbps), QoS parties high (70–130), as in the benchmarks;
 * a two-party scenario always pits cost against QoS (Fig. 3a's setting), larger ones draw each
 * party's objective. Weights 0.5–2, personalities uniform over the paper's five.
 */
export function drawScenario(split: ScenarioSplit, index: number): Scenario {
  const rand = lcg(splitSeeds[split] + 7_919 * index);
  const count = drawPartyCount(rand);
  const parties = Array.from({ length: count }, (_, i) => {
    const objective = count === 2 ? (i === 0 ? 'cost' : 'qos') : rand() < 0.5 ? 'cost' : 'qos';
    const target = Math.round(objective === 'cost' ? 5 + rand() * 45 : 70 + rand() * 60);
    return {
      id: `bo-${i + 1}`,
      objective,
      target,
      weight: round2(0.5 + rand() * 1.5),
      personality: pick<Personality>(personalities, rand),
    } as const;
  });
  const scenario: Scenario = {
    id: `${split}-${String(index).padStart(4, '0')}`,
    split,
    request: {
      topic: scenarioTopic,
      parties,
      maxRounds: 5,
      tolerance: 2,
      optimizerMode: rand() < 0.5 ? 'off' : 'soft',
    },
  };
  return scenarioSchema.parse(scenario);
}

/** The first `count` scenarios of a split from index `from` that have at most `maxParties` parties. */
export function drawScenarios(
  split: ScenarioSplit,
  count: number,
  from = 0,
  maxParties = 10,
  minParties = 2,
): Scenario[] {
  if (minParties > maxParties) throw new Error(`at least ${minParties} and at most ${maxParties} parties: none`);
  const scenarios: Scenario[] = [];
  for (let index = from; scenarios.length < count; index++) {
    const scenario = drawScenario(split, index);
    const parties = scenario.request.parties.length;
    if (parties <= maxParties && parties >= minParties) scenarios.push(scenario);
  }
  return scenarios;
}

/** How a rollout draws its scenarios: `mixed` (drawScenario) or Fig. 3a's `pairs` (drawPairScenario). */
export const scenarioDraws = ['mixed', 'pairs'] as const;
export type ScenarioDraw = (typeof scenarioDraws)[number];

/**
 * The personality pair of a pair scenario, cost party first, as bench/personalities.ts names them
 * ("V-D"). The index walks the 25 pairs in turn, so any 25 consecutive scenarios hold each once.
 */
export function pairOf(index: number): [Personality, Personality] {
  const cost = personalities[Math.floor(index / personalities.length) % personalities.length]!;
  const qos = personalities[index % personalities.length]!;
  return [cost, qos];
}

/**
 * A scenario in Fig. 3a's setting (bench/personalities.ts): a cost party against a QoS party of equal
 * weight, the optimizer off, five rounds. Where the bench fixes the targets at 20 and 80 Mbps, a pair
 * scenario draws them (cost 5–40, QoS 60–95), so a run on the train split's pairs ranks checkpoints by
 * how they play the personalities without playing the bench itself. Ids `train-pair-0000`: their own
 * seed offset, apart from the mixed draws.
 */
export function drawPairScenario(split: ScenarioSplit, index: number): Scenario {
  const rand = lcg(splitSeeds[split] + 500_009 + 7_919 * index);
  const [costPersonality, qosPersonality] = pairOf(index);
  const scenario: Scenario = {
    id: `${split}-pair-${String(index).padStart(4, '0')}`,
    split,
    request: {
      topic: fig3aTopic,
      parties: [
        { id: 'cost', objective: 'cost', target: Math.round(5 + rand() * 35), weight: 1, personality: costPersonality },
        { id: 'qos', objective: 'qos', target: Math.round(60 + rand() * 35), weight: 1, personality: qosPersonality },
      ],
      maxRounds: 5,
      tolerance: 2,
      optimizerMode: 'off',
    },
  };
  return scenarioSchema.parse(scenario);
}

const allPairNames = Array.from({ length: personalities.length ** 2 }, (_, i) => pairName(...pairOf(i)));

/**
 * The first `count` pair scenarios of a split from index `from`, only of the pairs named in `only` ("V-D",
 * cost party first) when given.
 */
export function drawPairScenarios(split: ScenarioSplit, count: number, from = 0, only?: readonly string[]): Scenario[] {
  if (only) {
    const unknown = only.filter((name) => !allPairNames.includes(name));
    if (unknown.length > 0)
      throw new Error(`unknown personality pairs ${unknown.join(', ')}: use two of N, A, D, V, T`);
  }
  const scenarios: Scenario[] = [];
  for (let index = from; scenarios.length < count; index++) {
    if (only && !only.includes(pairName(...pairOf(index)))) continue;
    scenarios.push(drawPairScenario(split, index));
  }
  return scenarios;
}

/** The scenario as the negotiation workflow takes it (validated like an API request). */
export function requestOf(scenario: Scenario): NegotiationRequest {
  return negotiationRequestSchema.parse(scenario.request);
}
