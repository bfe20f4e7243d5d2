/** Typed keys of the search attributes declared in temporal.yaml (kept in sync by a test). */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const negotiationStatusKey = defineSearchAttributeKey('NegotiationStatus', SearchAttributeType.KEYWORD);
export const cellIdKey = defineSearchAttributeKey('CellId', SearchAttributeType.KEYWORD);
export const partyCountKey = defineSearchAttributeKey('PartyCount', SearchAttributeType.INT);
export const optimizerModeKey = defineSearchAttributeKey('OptimizerMode', SearchAttributeType.KEYWORD);
export const negotiationRoundKey = defineSearchAttributeKey('NegotiationRound', SearchAttributeType.INT);
export const arbitralFlagCountKey = defineSearchAttributeKey('ArbitralFlagCount', SearchAttributeType.INT);
/** Every party (BO tenant id) of a negotiation, so a tenant's list shows only its own negotiations. */
export const partyIdsKey = defineSearchAttributeKey('PartyIds', SearchAttributeType.KEYWORD_LIST);
/** A cell session's phase: idle | negotiating | awaiting_approval | enforced | switched_off. */
export const cellSessionPhaseKey = defineSearchAttributeKey('CellSessionPhase', SearchAttributeType.KEYWORD);
