/** Entry point of the workflow bundle: every workflow type the TypeScript worker registers. */
export { negotiationWorkflow } from './negotiation/workflow.ts';
export { twinBatchEvaluationWorkflow, twinEvaluationWorkflow } from './twin/evaluate.ts';
export { cellSessionWorkflow } from './cell-session/workflow.ts';
export { rejectionSamplingWorkflow } from './training/rejection-sampling.ts';
export { rlTrainingWorkflow } from './training/rl-training.ts';
export { retrainingPipelineWorkflow } from './training/pipeline.ts';
export { sixgOrchestrationWorkflow } from './training/orchestrate.ts';
