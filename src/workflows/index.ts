// The workflows the worker registers. Thin: each lives in its own module.
export { mergeRequestWorkflow } from './mergeRequest';
export { mergeQueueWorkflow } from './mergeQueue';
export { mergeJobWorkflow } from './mergeJob';
export { mergeRequestPollWorkflow } from './mergeRequestPoll';
export { carWorkflow } from './car';
export { landWorkflow } from './land';
export { backportWorkflow } from './backport';
export { evidenceReportWorkflow, evidenceScheduledWorkflow } from './evidenceReport';
