/** Search attributes of the training workflows (declared in temporal.yaml). */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** rejection_sampling | rl | pipeline:<stage> | promoted | not_promoted | orchestrate */
export const trainingPhaseKey = defineSearchAttributeKey('TrainingPhase', SearchAttributeType.KEYWORD);
/** The RS round or PPO step reached (a Double: the dev server allows only 3 Int attributes). */
export const trainingStepKey = defineSearchAttributeKey('TrainingStep', SearchAttributeType.DOUBLE);
