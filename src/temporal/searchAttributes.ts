import type { Connection } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

// Search attributes that make the Web UI useful: find "MR !42 of group/app" and see its phase.
export const FORGE = defineSearchAttributeKey('ShepherdForge', SearchAttributeType.KEYWORD);
export const PROJECT = defineSearchAttributeKey('ShepherdProject', SearchAttributeType.KEYWORD);
export const MERGE_REQUEST = defineSearchAttributeKey('ShepherdMergeRequest', SearchAttributeType.INT);
export const TARGET_BRANCH = defineSearchAttributeKey('ShepherdTargetBranch', SearchAttributeType.KEYWORD);
export const PHASE = defineSearchAttributeKey('ShepherdPhase', SearchAttributeType.KEYWORD);
/** The commit a merge job waits for CI on: pipeline hooks are routed by (project, SHA). */
export const HEAD_SHA = defineSearchAttributeKey('ShepherdHeadSha', SearchAttributeType.KEYWORD);

/** `--search-attribute` arguments for `temporal server start-dev`. */
export const DEV_SERVER_SEARCH_ATTRIBUTES: string[] = [
  'ShepherdForge=Keyword',
  'ShepherdProject=Keyword',
  'ShepherdMergeRequest=Int',
  'ShepherdTargetBranch=Keyword',
  'ShepherdPhase=Keyword',
  'ShepherdHeadSha=Keyword',
];

const ALL = [FORGE, PROJECT, MERGE_REQUEST, TARGET_BRANCH, PHASE, HEAD_SHA];

/**
 * Registers Shepherd's search attributes on a server that lacks them (an existing cluster, the
 * time-skipping test server). The embedded dev server gets them from its command line instead.
 */
export async function registerSearchAttributes(connection: Pick<Connection, 'operatorService'>, namespace: string): Promise<void> {
  // The time-skipping server cannot list them (UNIMPLEMENTED) but accepts additions.
  const customAttributes = await connection.operatorService
    .listSearchAttributes({ namespace })
    .then((r) => r.customAttributes, () => undefined);
  const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const key of ALL) {
    if (customAttributes && key.name in customAttributes) continue;
    missing[key.name] =
      key.type === SearchAttributeType.INT
        ? temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT
        : temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  }
  if (Object.keys(missing).length === 0) return;
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
}
