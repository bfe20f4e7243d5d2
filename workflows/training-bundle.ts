/** The training worker's workflow bundle (queue `training`): the RLDTF workflows and 6G-LLM orchestration requests. */
export { rejectionSamplingWorkflow } from './training/rejection-sampling.ts';
export { rlTrainingWorkflow } from './training/rl-training.ts';
export { retrainingPipelineWorkflow } from './training/pipeline.ts';
export { sixgOrchestrationWorkflow } from './training/orchestrate.ts';
