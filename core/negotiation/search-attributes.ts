/** Typed keys of the search attributes declared in temporal.yaml (kept in sync by a test). */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const negotiationStatusKey = defineSearchAttributeKey('NegotiationStatus', SearchAttributeType.KEYWORD);
export const cellIdKey = defineSearchAttributeKey('CellId', SearchAttributeType.KEYWORD);
export const partyCountKey = defineSearchAttributeKey('PartyCount', SearchAttributeType.INT);
export const optimizerModeKey = defineSearchAttributeKey('OptimizerMode', SearchAttributeType.KEYWORD);
export const negotiationRoundKey = defineSearchAttributeKey('NegotiationRound', SearchAttributeType.INT);
export const arbitralFlagCountKey = defineSearchAttributeKey('ArbitralFlagCount', SearchAttributeType.INT);
