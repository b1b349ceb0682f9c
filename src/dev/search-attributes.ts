import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

const SearchAttributeType = z.enum(['Keyword', 'Text', 'Int', 'Double', 'Bool', 'Datetime', 'KeywordList']);
const SearchAttributeConfig = z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), SearchAttributeType);
export type SearchAttributeConfig = z.infer<typeof SearchAttributeConfig>;

export const SEARCH_ATTRIBUTES_FILE = resolve(
  __dirname,
  '..',
  '..',
  'temporal-config',
  'search-attributes.json',
);

/** The custom search attributes the guardian publishes (temporal-config/search-attributes.json). */
export function loadSearchAttributeConfig(file = SEARCH_ATTRIBUTES_FILE): SearchAttributeConfig {
  return SearchAttributeConfig.parse(JSON.parse(readFileSync(file, 'utf8')));
}

// temporal.api.enums.v1.IndexedValueType
const INDEXED_VALUE_TYPE: Record<z.infer<typeof SearchAttributeType>, number> = {
  Text: 1,
  Keyword: 2,
  Int: 3,
  Double: 4,
  Bool: 5,
  Datetime: 6,
  KeywordList: 7,
};

interface OperatorServiceLike {
  addSearchAttributes(request: {
    namespace: string;
    searchAttributes: Record<string, number>;
  }): Promise<unknown>;
}

/**
 * Registers ripcord's search attributes through the operator API: for servers that
 * are not started by `ripcord dev server` (the time-skipping test server, a
 * production cluster set up by an operator).
 */
export async function registerSearchAttributes(
  operatorService: OperatorServiceLike,
  namespace: string,
  config: SearchAttributeConfig = loadSearchAttributeConfig(),
): Promise<void> {
  const searchAttributes = Object.fromEntries(
    Object.entries(config).map(([name, type]) => [name, INDEXED_VALUE_TYPE[type]]),
  );
  await operatorService.addSearchAttributes({ namespace, searchAttributes });
}
