/** Entry point of the workflow bundle: every workflow type the negotiation worker registers. */
export { negotiationWorkflow } from './negotiation/workflow.ts';
