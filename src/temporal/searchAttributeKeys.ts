import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Kept apart from their registration (searchAttributes.ts), which needs @temporalio/proto:
// workflow code imports these keys, and every module it imports is evaluated again for each
// workflow a worker starts (loading the protobuf definitions cost about 70 ms of CPU each time).

// Search attributes that make the Web UI useful: find "MR !42 of group/app" and see its phase.
export const FORGE = defineSearchAttributeKey('ShepherdForge', SearchAttributeType.KEYWORD);
export const PROJECT = defineSearchAttributeKey('ShepherdProject', SearchAttributeType.KEYWORD);
export const MERGE_REQUEST = defineSearchAttributeKey('ShepherdMergeRequest', SearchAttributeType.INT);
export const TARGET_BRANCH = defineSearchAttributeKey('ShepherdTargetBranch', SearchAttributeType.KEYWORD);
export const PHASE = defineSearchAttributeKey('ShepherdPhase', SearchAttributeType.KEYWORD);
/** The commit a merge job waits for CI on: pipeline hooks are routed by (project, SHA). */
export const HEAD_SHA = defineSearchAttributeKey('ShepherdHeadSha', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [FORGE, PROJECT, MERGE_REQUEST, TARGET_BRANCH, PHASE, HEAD_SHA];

/** `--search-attribute` arguments for `temporal server start-dev`, e.g. `ShepherdPhase=Keyword`. */
export const DEV_SERVER_SEARCH_ATTRIBUTES: string[] = ALL_SEARCH_ATTRIBUTES.map(
  (key) => `${key.name}=${key.type === SearchAttributeType.INT ? 'Int' : 'Keyword'}`,
);
