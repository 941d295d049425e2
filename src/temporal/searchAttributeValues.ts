import type { SearchAttributePair } from '@temporalio/common';
import type { ForgeKind, MergeRequestRef } from '../domain/types';
import { FORGE, MERGE_REQUEST, PROJECT, TARGET_BRANCH } from './searchAttributeKeys';

/** Search attributes a merge request's workflow starts with, so people can find it in the Web UI. */
export function mergeRequestSearchAttributes(ref: MergeRequestRef, targetBranch?: string): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: FORGE, value: ref.forge },
    { key: PROJECT, value: ref.project },
    { key: MERGE_REQUEST, value: ref.iid },
  ];
  if (targetBranch) pairs.push({ key: TARGET_BRANCH, value: targetBranch });
  return pairs;
}

export function queueSearchAttributes(forge: ForgeKind, project: string, targetBranch: string): SearchAttributePair[] {
  return [
    { key: FORGE, value: forge },
    { key: PROJECT, value: project },
    { key: TARGET_BRANCH, value: targetBranch },
  ];
}
