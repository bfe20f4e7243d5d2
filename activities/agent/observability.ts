/**
 * Observability unit (paper Section III, unit 4): puts the network's current state into the
 * agent's view. The workflow receives telemetry as signals and passes the latest state into each
 * turn; this unit turns it into a note for the LLM and an upper bound for validation, so no agent
 * can propose a throughput the cell cannot deliver now. (Halting when nothing deliverable is left
 * is the workflow's decision: it sees the state between rounds.)
 */
import type { ContextContribution, UnitWarning } from '../../core/negotiation/types.ts';
import type { ContextUnit, ContextUnitInput } from './context-units.ts';
import { round2 } from './validation.ts';

export function createObservabilityUnit(): ContextUnit {
  return {
    name: 'observability',
    contribute: (input: ContextUnitInput): Promise<ContextContribution> => Promise.resolve(observe(input)),
  };
}

/** The network state as a prompt note and a validation bound (exported for unit tests). */
export function observe(input: ContextUnitInput): ContextContribution {
  const network = input.network;
  if (network === null) return { unit: 'observability', notes: [], warnings: [] };
  const parts = [`achievable capacity ${round2(network.capacityMbps)} ${input.topic.unit}`];
  if (network.cqi !== undefined) parts.unshift(`CQI ${network.cqi}`);
  if (network.loadPercent !== undefined) parts.push(`load ${round2(network.loadPercent)} %`);
  const warnings: UnitWarning[] = [];
  if (network.capacityMbps < input.topic.max) {
    warnings.push({
      agent: input.party?.id ?? 'maestro',
      unit: 'observability',
      code: 'network_capacity',
      message: `capacity ${round2(network.capacityMbps)} is below the topic maximum ${input.topic.max}`,
    });
  }
  return {
    unit: 'observability',
    notes: [`network now (${network.source}): ${parts.join(', ')}.`],
    bounds: { max: network.capacityMbps },
    warnings,
  };
}
