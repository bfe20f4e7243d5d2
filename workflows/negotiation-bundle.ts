/** The negotiation worker's workflow bundle (queue `negotiation`): negotiations, cell sessions, twin evaluations. */
export { negotiationWorkflow } from './negotiation/workflow.ts';
export { twinBatchEvaluationWorkflow, twinEvaluationWorkflow } from './twin/evaluate.ts';
export { cellSessionWorkflow } from './cell-session/workflow.ts';
