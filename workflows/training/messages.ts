/** Progress queries of the training workflows (the Temporal UI's "Queries" tab, or the client). */
import { defineQuery } from '@temporalio/workflow';
import type { PpoStepResult, RejectionSamplingRoundResult } from '../../core/training/contracts.ts';

export interface RejectionSamplingProgress {
  round: number;
  rounds: RejectionSamplingRoundResult[];
  best: RejectionSamplingRoundResult | null;
  stopped: string | null;
}

export interface RlTrainingProgress {
  step: number;
  totalSteps: number;
  /** The last steps' metrics (bounded; the full curve is in the learner's metrics JSONL). */
  recent: PpoStepResult[];
  checkpoint: string;
  run: number;
}

export const rejectionSamplingProgressQuery = defineQuery<RejectionSamplingProgress>('rejectionSamplingProgress');
export const rlTrainingProgressQuery = defineQuery<RlTrainingProgress>('rlTrainingProgress');
