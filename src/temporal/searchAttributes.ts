import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES } from './searchAttributeKeys';

export { DEV_SERVER_SEARCH_ATTRIBUTES, FORGE, HEAD_SHA, MERGE_REQUEST, PHASE, PROJECT, TARGET_BRANCH } from './searchAttributeKeys';

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
  for (const key of ALL_SEARCH_ATTRIBUTES) {
    if (customAttributes && key.name in customAttributes) continue;
    missing[key.name] =
      key.type === SearchAttributeType.INT
        ? temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT
        : temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  }
  if (Object.keys(missing).length === 0) return;
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
}
