/**
 * A BO's vote on switching the shared cell off when service is too poor (paper Section V: "BOs
 * unanimously decide to switch off the base station due to poor service delivery"). The BO's own
 * LLM agent votes in its personality's voice; its answer is validated, and a vote that
 * contradicts the BO's own stated floor (keep a useless cell on, or switch off a useful one) is
 * replaced by the rule, the same way the validation unit replaces a bad negotiation value.
 */
import { z } from 'zod';
import type { ChatModel } from '../../core/llm/chat-model.ts';
import type { Personality } from '../../core/negotiation/schemas.ts';
import type { SwitchOffVote } from '../../core/network/contracts.ts';

export interface SwitchOffVoteInput {
  cellId: string;
  tenantId: string;
  personality: Personality;
  targetMbps: number;
  switchOffBelowMbps: number;
  capacityMbps: number;
  businessIntent?: string;
}

const voteSchema = z.strictObject({
  vote: z.enum(['switch_off', 'keep_on']),
  reasoning: z.string().trim().min(1).max(400),
});
const voteJsonSchema = {
  type: 'object',
  properties: {
    vote: { type: 'string', enum: ['switch_off', 'keep_on'] },
    reasoning: { type: 'string', maxLength: 200 },
  },
  required: ['vote', 'reasoning'],
  additionalProperties: false,
} as const;

const parseJsonOrNull = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};

export function ruleVote(input: SwitchOffVoteInput): SwitchOffVote['vote'] {
  return input.capacityMbps < input.switchOffBelowMbps ? 'switch_off' : 'keep_on';
}

export function createSwitchOffVoteActivity(chatModel: ChatModel) {
  return {
    async voteOnSwitchOff(input: SwitchOffVoteInput): Promise<SwitchOffVote> {
      const rule = ruleVote(input);
      const messages = [
        {
          role: 'system' as const,
          content:
            `You are the negotiating agent of business operator ${input.tenantId}, personality: ${input.personality}. ` +
            `You share radio cell ${input.cellId} with other operators. Answer in JSON {"vote", "reasoning"}.`,
        },
        {
          role: 'user' as const,
          content:
            `The cell can now deliver only ${input.capacityMbps.toFixed(1)} Mbps. Your service needs ${input.targetMbps} Mbps ` +
            `and is useless below ${input.switchOffBelowMbps} Mbps.` +
            (input.businessIntent ? ` Your business intent: ${input.businessIntent}.` : '') +
            ' Switching the cell off saves energy and cost until conditions recover. ' +
            'Vote "switch_off" or "keep_on" with one sentence of reasoning.',
        },
      ];
      try {
        const completion = await chatModel.completeJson({
          messages,
          schemaName: 'switch_off_vote',
          jsonSchema: voteJsonSchema,
          maxTokens: 80,
        });
        const parsed = voteSchema.safeParse(parseJsonOrNull(completion.content));
        if (parsed.success && parsed.data.vote === rule) {
          return {
            tenantId: input.tenantId,
            vote: parsed.data.vote,
            reasoning: parsed.data.reasoning,
            decidedBy: 'llm',
          };
        }
        const why = parsed.success
          ? `the model voted ${parsed.data.vote}, against the BO's own floor of ${input.switchOffBelowMbps} Mbps`
          : 'the model answer did not match the vote schema';
        return { tenantId: input.tenantId, vote: rule, reasoning: `${why}; rule applied`, decidedBy: 'rule' };
      } catch (err) {
        // A model that is down must not keep the cell in limbo: the rule decides, and says so.
        const why = err instanceof Error ? err.message : String(err);
        return {
          tenantId: input.tenantId,
          vote: rule,
          reasoning: `model unavailable (${why}); rule applied`,
          decidedBy: 'rule',
        };
      }
    },
  };
}
