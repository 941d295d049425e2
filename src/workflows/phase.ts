import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { PHASE } from '../temporal/searchAttributeKeys';

/** Shows the phase in the Web UI's list (search attribute ShepherdPhase). */
export function showPhase(phase: string): void {
  if (workflowInfo().typedSearchAttributes.get(PHASE) === phase) return;
  upsertSearchAttributes([{ key: PHASE, value: phase }]);
}
