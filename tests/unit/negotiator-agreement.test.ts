import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildBoMessages } from '../../activities/agent/prompts.ts';
import type { Personality } from '../../core/negotiation/schemas.ts';
import { agreement, groupOf } from '../../negotiator/agreement.ts';
import type { RecordedTurn } from '../../negotiator/policies.ts';

const topic = { name: 'throughput of the shared base station', unit: 'Mbps', min: 0, max: 100 };

/** A BO's round-2 turn under the ladder prompt (ideal 20, MAESTRO's 50), answered with `value`. */
function ladderTurn(personality: Personality, weight: number, value: number, attempt = 0): RecordedTurn {
  return {
    negotiationId: 'n1',
    round: 2,
    agent: 'cost',
    attempt,
    temperature: 0,
    answer: JSON.stringify({ reasoning: 'x', value }),
    messages: buildBoMessages({
      style: 'ladder',
      topic,
      party: { id: 'cost', objective: 'cost', target: 20, weight, personality },
      others: [{ id: 'qos', objective: 'qos' }],
      round: 2,
      maxRounds: 5,
      optimizerMode: 'off',
      feedback: { round: 2, message: 'Meet.', proposal: 50, optimizer: { proposal: 50, price: 0, penalty: 1 } },
      optimizerProposal: 44,
      context: [],
    }),
  };
}

test("groups a ladder BO's turn by mode, round, band and firmness", () => {
  assert.equal(groupOf(ladderTurn('toxic', 0.6, 35), 'off'), 'bo off r2 a little firm');
  assert.equal(groupOf(ladderTurn('normal', 1.6, 20), 'off'), 'bo off r2 a lot yielding');
});

test("counts the first-attempt turns that take the teacher's value, and how far the others are", () => {
  const turns = [
    ladderTurn('normal', 1, 35), // moderately: half way, the teacher's 35
    ladderTurn('normal', 1, 42.5), // three quarters: 7.5 off
    ladderTurn('normal', 1, 99, 1), // a retry: not counted
    { ...ladderTurn('normal', 1, 35), answer: 'not json' }, // counted, never agreeing
  ];
  const [row] = agreement(turns, 'weighted3', () => 'off');
  assert.deepEqual(row, { group: 'bo off r2 moderately yielding', turns: 3, agree: 1, invalid: 1, meanGap: 3.75 });
  // under the four-round teacher the same half-way answer is its rung too
  assert.equal(agreement(turns.slice(0, 1), 'weighted', () => 'off')[0]!.agree, 1);
});
