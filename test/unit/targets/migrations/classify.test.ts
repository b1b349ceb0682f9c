import path from 'node:path';
import { classifyMigration, loadMigration } from '../../../../src/targets/migrations';
import { PermanentStepError } from '../../../../src/targets';

const FIXTURES = path.resolve(__dirname, '../../../fixtures/migrations');
const ORDERS = path.join(FIXTURES, 'orders');
const CASES = path.join(FIXTURES, 'classifier');

async function classify(dir: string, name: string) {
  return classifyMigration(await loadMigration(dir, name), { schema: 'public' });
}

describe('classifyMigration on the orders migrations', () => {
  it('a down that drops a column the up added is reversible and snapshots that column', async () => {
    const result = await classify(ORDERS, '002_add_discount_code');
    expect(result.kind).toBe('reversible');
    expect(result.touches).toEqual([
      { kind: 'columns', schema: 'public', table: 'orders', columns: ['discount_code'], ifExists: false },
    ]);
    expect(result.reasons.join('\n')).toMatch(
      /drops column public\.orders\.discount_code, which the up adds/,
    );
    expect(result.reasons.join('\n')).toMatch(/pgm\.dropIndex\(\) \(no data\)/);
  });

  it('a down that drops the table the up created is reversible and snapshots the whole table', async () => {
    const result = await classify(ORDERS, '001_create_orders');
    expect(result.kind).toBe('reversible');
    expect(result.touches).toEqual([{ kind: 'table', schema: 'public', table: 'orders', ifExists: false }]);
  });

  it('an up that dropped a column is destructive: the down brings back only an empty column', async () => {
    const result = await classify(ORDERS, '003_drop_legacy_note');
    expect(result.kind).toBe('destructive');
    expect(result.reasons).toEqual([
      'the up drops column public.orders.legacy_note: that data is gone since the up ran, and the down cannot bring it back',
    ]);
    expect(result.touches).toEqual([]);
  });
});

describe('classifyMigration: what makes a rollback destructive', () => {
  it.each([
    ['010_no_down', /disables its down \(exports\.down = false\): it declares itself irreversible/],
    ['012_no_transaction', /the down calls pgm\.noTransaction\(\)/],
    [
      '013_raw_sql_down',
      /the down runs raw SQL \(pgm\.sql\) that ripcord cannot inspect; if it only removes what the up added, declare exports\.ripcord/,
    ],
    ['015_declared_destructive', /declares itself destructive .*backfills totals/],
    ['016_drop_foreign_column', /drops column public\.orders\.customer, which the up does not add/],
    ['017_change_type', /the up changes the type of public\.orders\.total_cents/],
    ['018_cascade', /pgm\.dropTable\(\) with cascade/],
    [
      '019_malformed_declaration',
      /exports\.ripcord is malformed: ripcord\.destructive must be true or false; ripcord\.touches\.0/,
    ],
    ['020_derived_impossible', /its down cannot be built: Impossible to automatically infer down migration/],
    ['022_declared_over_visible_drop', /the up drops column public\.orders\.legacy_note/],
    ['023_raw', /SQL migration file/],
    ['025_direct_query', /queries the database directly \(pgm\.db\)/],
  ])('%s', async (name, reason) => {
    const result = await classify(CASES, name);
    expect(result.kind).toBe('destructive');
    expect(result.reasons.join('\n')).toMatch(reason);
    expect(result.touches).toEqual([]);
  });

  it('names every problem, not just the first', async () => {
    const result = await classify(CASES, '017_change_type');
    expect(result.reasons).toHaveLength(2);
    expect(result.reasons[1]).toMatch(
      /the down changes the type of public\.orders\.total_cents: values may not survive/,
    );
  });
});

describe('classifyMigration: reversible rollbacks', () => {
  it('a derived down (no exports.down) drops the table the up creates', async () => {
    const result = await classify(CASES, '011_derived_down');
    expect(result.kind).toBe('reversible');
    expect(result.reasons[0]).toMatch(/node-pg-migrate derives it from the up/);
    expect(result.touches).toEqual([
      { kind: 'table', schema: 'public', table: 'shipments', ifExists: false },
    ]);
  });

  it('raw SQL vouched for by exports.ripcord is reversible and snapshots what it declares', async () => {
    const result = await classify(CASES, '014_raw_sql_declared');
    expect(result.kind).toBe('reversible');
    expect(result.reasons.join('\n')).toMatch(/vouches for it \(exports\.ripcord\.destructive = false\)/);
    expect(result.touches).toEqual([
      { kind: 'columns', schema: 'public', table: 'orders', columns: ['gift_note'], ifExists: false },
    ]);
  });

  it('an index-only migration is reversible with nothing to snapshot', async () => {
    const result = await classify(CASES, '021_index_only');
    expect(result).toEqual({
      kind: 'reversible',
      reasons: ['the down runs pgm.dropIndex() (no data)'],
      touches: [],
    });
  });

  it('schema-qualified names keep their schema', async () => {
    const result = await classify(CASES, '024_other_schema');
    expect(result.kind).toBe('reversible');
    expect(result.touches).toEqual([
      { kind: 'columns', schema: 'sales', table: 'ledger', columns: ['memo'], ifExists: false },
      { kind: 'table', schema: 'sales', table: 'invoices', ifExists: false },
    ]);
  });

  it("node-pg-migrate's callback style is supported", async () => {
    const result = await classify(CASES, '026_callback_style');
    expect(result.kind).toBe('reversible');
    expect(result.touches).toEqual([
      { kind: 'columns', schema: 'public', table: 'orders', columns: ['channel'], ifExists: false },
    ]);
  });
});

describe('loadMigration', () => {
  it('refuses a migration without a file, naming the files it found', async () => {
    const failure = loadMigration(ORDERS, '004_missing');
    await expect(failure).rejects.toBeInstanceOf(PermanentStepError);
    await expect(loadMigration(ORDERS, '004_missing')).rejects.toThrow(
      /migration "004_missing" has no file in .*001_create_orders\.js, 002_add_discount_code\.js, 003_drop_legacy_note\.js/,
    );
  });

  it('refuses a directory that does not exist', async () => {
    await expect(loadMigration(path.join(FIXTURES, 'nowhere'), '001')).rejects.toThrow(
      /cannot be read \(ENOENT\)/,
    );
  });
});
