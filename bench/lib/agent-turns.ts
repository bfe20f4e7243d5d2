/**
 * Agent-turn-shaped chat requests for the serving benchmarks: the BO turns of one negotiation round,
 * built with the workflow's own prompt builder, without running a negotiation.
 */
import { buildBoMessages } from '../../activities/agent/prompts.ts';
import type { ChatMessage } from '../../core/llm/chat-model.ts';
import type { Objective, Party, Personality } from '../../core/negotiation/schemas.ts';
import { sharedStationTopic } from './games.ts';

const personalities: Personality[] = ['normal', 'agreeable', 'disagreeable', 'vulnerable', 'toxic'];
const objectives: Objective[] = ['cost', 'qos'];

export interface BoTurnOptions {
  /** 1 for the opening; from 2 on the round message carries MAESTRO's proposal. */
  round?: number;
  maxRounds?: number;
  /** MAESTRO's proposal and the optimizer's suggestion (soft mode); the party's target when absent. */
  proposalMbps?: number;
}

/** The messages of BO `i`'s turn among `n` parties, each with its own target, objective and personality. */
export function boTurnMessages(i: number, n: number, options: BoTurnOptions = {}): ChatMessage[] {
  const { round = 1, maxRounds = 8 } = options;
  const party: Party = {
    id: `BO${i + 1}`,
    objective: objectives[i % 2] as Objective,
    weight: 1,
    target: 20 + ((i * 37) % 100),
    personality: personalities[i % personalities.length] as Personality,
  };
  const others = Array.from({ length: n }, (_, j) => j)
    .filter((j) => j !== i)
    .map((j) => ({ id: `BO${j + 1}`, objective: objectives[j % 2] as Objective }));
  const proposal = options.proposalMbps ?? party.target;
  return buildBoMessages({
    topic: sharedStationTopic,
    party,
    others,
    round,
    maxRounds,
    optimizerMode: 'soft',
    feedback:
      round === 1
        ? null
        : {
            round: round - 1,
            message: `Operators, move toward ${proposal}.`,
            proposal,
            optimizer: { proposal, price: 0, penalty: 1 },
          },
    optimizerProposal: proposal,
    context: [],
  });
}
