/**
 * Identifier quoting for the statements the migrations target writes itself.
 * Names come from configuration and from migration files, never from people at
 * run time, but they are quoted anyway: a column called "order" or "Select"
 * must work, and nothing may ever be spliced into SQL unquoted.
 */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `"schema"."name"` */
export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** A table or a set of columns of one table, as a person reads it: `public.orders.discount_code`. */
export function describeObject(schema: string, table: string, columns?: readonly string[]): string {
  const base = `${schema}.${table}`;
  if (columns === undefined || columns.length === 0) return base;
  return columns.map((column) => `${base}.${column}`).join(', ');
}
