/**
 * The two agent turns of a negotiation round, each one activity that runs its agent's seven-unit
 * pipeline in order (extraction → arbitral/regulatory/observability → optimizer → LLM →
 * validation) and returns every unit's output, so the Temporal UI shows what each unit did
 * without the prompts themselves landing in history (only their hash and token counts).
 * The BO's turn is bo-turn.ts, MAESTRO's mediator-turn.ts; the round's rules core/negotiation/rules.ts.
 */
import { createBoTurn } from './bo-turn.ts';
import { createMediatorTurn } from './mediator-turn.ts';
import type { AgentDependencies } from './turn-settings.ts';

export type { BoTurnInput } from './bo-turn.ts';
export type { MediatorTurnInput } from './mediator-turn.ts';
export type { AgentDependencies } from './turn-settings.ts';

/** The activities `runBoTurn` and `runMediatorTurn` (names recorded in every negotiation's history). */
export function createAgentTurns(deps: AgentDependencies) {
  return { runBoTurn: createBoTurn(deps), runMediatorTurn: createMediatorTurn(deps) };
}
