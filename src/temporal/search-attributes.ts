// Search attributes every tenant namespace carries, so runs can be filtered in the Web UI and CLI.
// Temporal does not encrypt search attributes: they hold identifiers and states, never input data or PII.
import type { Connection } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const STEWARD_STATUS = defineSearchAttributeKey('StewardStatus', SearchAttributeType.KEYWORD);
export const STEWARD_WORKFLOW = defineSearchAttributeKey('StewardWorkflow', SearchAttributeType.KEYWORD);

// temporal.api.enums.v1.IndexedValueType
const INDEXED_VALUE_TYPE_KEYWORD = 2;

export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = [STEWARD_STATUS, STEWARD_WORKFLOW].filter((key) => !(customAttributes && key.name in customAttributes));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_VALUE_TYPE_KEYWORD])),
  });
}
