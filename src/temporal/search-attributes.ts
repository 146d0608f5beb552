// Registers Steward's search attributes in a tenant namespace, so runs can be filtered in the Web UI and CLI.
import type { Connection } from '@temporalio/client';
import { STEWARD_STATUS, STEWARD_WORKFLOW } from './search-attribute-keys';

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
