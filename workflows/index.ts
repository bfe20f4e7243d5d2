/**
 * Every workflow type maestro defines: the union of the two workers' bundles (negotiation-bundle.ts,
 * training-bundle.ts). Replay tests load it, so a recorded history of either worker replays.
 */
export * from './negotiation-bundle.ts';
export * from './training-bundle.ts';
