import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { findFreePort } from '../../src/dev/ports';
import { PermanentStepError, StepVerificationError } from '../../src/targets';
import { MigrationsTarget, MigrationsTargetConfig, snapshotPrefix } from '../../src/targets/migrations';
import { runner } from '../../src/targets/migrations/node-pg-migrate';
import { downMigrationStep, mapSecrets, stepContext } from '../unit/targets/migrations/steps';

/**
 * The migrations target against the machine's real PostgreSQL (127.0.0.1:5432,
 * trust auth): the test creates its own database, migrates it up with
 * node-pg-migrate itself, and rolls back, re-applies and refuses as the
 * guardian would ask it to.
 */
const SERVER = 'postgres://postgres@127.0.0.1:5432';
const DATABASE = `ripcord_mig_${randomBytes(6).toString('hex')}`;
const DATABASE_URL = `${SERVER}/${DATABASE}`;
const MIGRATIONS = path.resolve(__dirname, '../fixtures/migrations/orders');

const secrets = mapSecrets({ CHECKOUT_DB: DATABASE_URL });
const config = MigrationsTargetConfig.parse({
  type: 'postgres-migrations',
  services: { checkout: { migrationsDir: MIGRATIONS, connectionSecret: '${secret:CHECKOUT_DB}' } },
});
const target = new MigrationsTarget(config, { secrets });

let admin: Client | undefined;
let db: Client | undefined;

beforeAll(async () => {
  admin = new Client({ connectionString: `${SERVER}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  db = new Client({ connectionString: DATABASE_URL });
  await db.connect();
});

afterAll(async () => {
  await db?.end().catch(() => undefined);
  // FORCE: a connection a failed test left open must not keep the database alive.
  await admin?.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin?.end();
});

const sql = async <T extends object = Record<string, unknown>>(text: string, values?: unknown[]) =>
  (await db!.query<T>(text, values)).rows;

async function migrate(direction: 'up' | 'down', count: number): Promise<void> {
  await runner({
    databaseUrl: DATABASE_URL,
    dir: MIGRATIONS,
    direction,
    count,
    migrationsTable: 'pgmigrations',
    log: () => undefined,
  });
}

async function version(): Promise<string[]> {
  return (await sql<{ name: string }>('SELECT name FROM pgmigrations ORDER BY run_on, id')).map(
    (r) => r.name,
  );
}

async function columns(table = 'orders'): Promise<string[]> {
  const rows = await sql<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((r) => r.column_name);
}

async function orders(): Promise<unknown[]> {
  return sql('SELECT * FROM orders ORDER BY id');
}

const ORDERS_BEFORE = [
  { id: 1, customer: 'ann', total_cents: 1200, discount_code: 'SPRING10' },
  { id: 2, customer: 'bob', total_cents: 500, discount_code: null },
  { id: 3, customer: 'cy', total_cents: 990, discount_code: 'VIP' },
];

describe('migrations target on real PostgreSQL', () => {
  beforeAll(async () => {
    await migrate('up', 2);
    await sql(
      `INSERT INTO orders (customer, total_cents, legacy_note, discount_code)
       VALUES ('ann', 1200, 'called twice', 'SPRING10'), ('bob', 500, NULL, NULL), ('cy', 990, 'gift', 'VIP')`,
    );
    await migrate('up', 1);
    expect(await version()).toEqual(['001_create_orders', '002_add_discount_code', '003_drop_legacy_note']);
  });

  test('the down of 003 (its up dropped data) is refused as destructive and the schema stays as it is', async () => {
    const before = { version: await version(), columns: await columns(), rows: await orders() };
    const error = await target
      .apply(downMigrationStep('003_drop_legacy_note'), stepContext())
      .catch((e) => e);
    expect(error).toBeInstanceOf(PermanentStepError);
    expect((error as Error).message).toMatch(
      /^migration 003_drop_legacy_note is destructive to roll back.*the up drops column public\.orders\.legacy_note: that data is gone.*freeze and escalate to a person$/,
    );
    expect({ version: await version(), columns: await columns(), rows: await orders() }).toEqual(before);
  });

  test('a migration that is not the latest is refused, naming the latest', async () => {
    await expect(target.apply(downMigrationStep('002_add_discount_code'), stepContext())).rejects.toThrow(
      'migration 002_add_discount_code is not the latest applied one (the latest is 003_drop_legacy_note): only the latest migration can be rolled back',
    );
    expect(await columns()).toContain('discount_code');
  });

  describe('once a person has rolled back 003 by hand', () => {
    const step = downMigrationStep('002_add_discount_code', { index: 1 });

    beforeAll(async () => {
      await migrate('down', 1);
      expect(await version()).toEqual(['001_create_orders', '002_add_discount_code']);
      expect(await orders()).toEqual(ORDERS_BEFORE.map((o) => ({ ...o, legacy_note: null })));
    });

    test('the down of 002 runs in one transaction with a snapshot: version 001, column gone, data kept aside', async () => {
      const ctx = stepContext();
      const result = await target.apply(step, ctx);
      const snapshot = `${snapshotPrefix(step.idempotencyKey)}_1`;
      expect(result).toEqual({
        applied: true,
        detail: `rolled back 002_add_discount_code; schema version now 001_create_orders; snapshot public.orders (3 rows) in ripcord_snapshots.${snapshot}`,
      });
      expect(await version()).toEqual(['001_create_orders']);
      expect(await columns()).toEqual(['id', 'customer', 'total_cents', 'legacy_note']);
      expect(await sql(`SELECT * FROM ripcord_snapshots.${snapshot} ORDER BY id`)).toEqual(
        ORDERS_BEFORE.map(({ id, discount_code }) => ({ id, discount_code })),
      );
      expect(
        await sql('SELECT migration, previous_migration, deployment_id FROM ripcord_snapshots.rollbacks'),
      ).toEqual([
        {
          migration: '002_add_discount_code',
          previous_migration: '001_create_orders',
          deployment_id: 'build-481',
        },
      ]);
      expect(ctx.beats).toEqual(expect.arrayContaining([expect.objectContaining({ phase: 'snapshotted' })]));

      expect(await target.verify(step, stepContext())).toBe(
        'schema version 001_create_orders (002_add_discount_code rolled back); removed public.orders.discount_code',
      );
    });

    test('a second apply with the same key (a retry after a crash) does nothing', async () => {
      const again = await new MigrationsTarget(config, { secrets }).apply(step, stepContext());
      expect(again.applied).toBe(false);
      expect(again.detail).toMatch(
        /^already applied \(key [0-9a-f]{12}…\): 002_add_discount_code was rolled back at /,
      );
      expect(await version()).toEqual(['001_create_orders']);
      expect(await sql('SELECT count(*)::int AS n FROM ripcord_snapshots.rollbacks')).toEqual([{ n: 1 }]);
    });

    test('compensation re-runs the up and restores the column with its data; a second one does nothing', async () => {
      await sql(`INSERT INTO orders (customer, total_cents) VALUES ('dee', 300)`); // written during the rollback
      const outcome = await target.compensate(step, stepContext());
      expect(outcome).toEqual({
        compensated: true,
        detail:
          're-applied 002_add_discount_code (schema version 002_add_discount_code); restored public.orders.discount_code on 3 rows',
      });
      expect(await version()).toEqual(['001_create_orders', '002_add_discount_code']);
      expect(await sql('SELECT id, customer, total_cents, discount_code FROM orders ORDER BY id')).toEqual([
        ...ORDERS_BEFORE,
        { id: 4, customer: 'dee', total_cents: 300, discount_code: null },
      ]);
      // The up ran again as node-pg-migrate would: its index is back too.
      expect(
        await sql(`SELECT indexname FROM pg_indexes WHERE indexname = 'orders_discount_code_index'`),
      ).toHaveLength(1);

      const again = await target.compensate(step, stepContext());
      expect(again.compensated).toBe(true);
      expect(again.detail).toMatch(/^already undone at .*: 002_add_discount_code is applied again$/);
      expect((await sql('SELECT discount_code FROM orders WHERE id = 1'))[0]).toEqual({
        discount_code: 'SPRING10',
      });
    });

    test('after compensation the step reads back as undone and cannot be applied again under its key', async () => {
      await expect(target.verify(step, stepContext())).rejects.toThrow(StepVerificationError);
      await expect(target.apply(step, stepContext())).rejects.toThrow(
        /already rolled back and undone again; it needs a new plan/,
      );
      expect(await version()).toEqual(['001_create_orders', '002_add_discount_code']);
    });

    test('node-pg-migrate itself still agrees with the schema (down and up again work)', async () => {
      await migrate('down', 1);
      expect(await columns()).not.toContain('discount_code');
      await migrate('up', 1);
      expect(await version()).toEqual(['001_create_orders', '002_add_discount_code']);
      await sql(`UPDATE orders SET discount_code = 'SPRING10' WHERE id = 1`);
      await sql(`UPDATE orders SET discount_code = 'VIP' WHERE id = 3`);
    });

    test('a plan of two downs (002 then 001) is undone in reverse: the table comes back with its rows and ids', async () => {
      const steps = [
        downMigrationStep('002_add_discount_code', { index: 0, deploymentId: 'build-482' }),
        downMigrationStep('001_create_orders', { index: 1, deploymentId: 'build-482' }),
      ];
      const ctx = stepContext('checkout', 'build-482');
      const rowsBefore = await orders();
      // Both applied at once: the advisory lock and the ledger let exactly one of each run.
      const first = await Promise.allSettled([target.apply(steps[0]!, ctx), target.apply(steps[0]!, ctx)]);
      const applied = first.filter((r) => r.status === 'fulfilled' && r.value.applied);
      expect(applied).toHaveLength(1);
      expect(await target.apply(steps[0]!, ctx)).toMatchObject({ applied: false });

      expect((await target.apply(steps[1]!, ctx)).detail).toMatch(
        /schema version now none; snapshot public\.orders \(4 rows\)/,
      );
      expect(await target.verify(steps[1]!, ctx)).toBe(
        'schema version none (001_create_orders rolled back); removed public.orders',
      );
      expect(await sql(`SELECT to_regclass('public.orders') AS t`)).toEqual([{ t: null }]);

      expect((await target.compensate(steps[1]!, ctx)).detail).toBe(
        're-applied 001_create_orders (schema version 001_create_orders); restored 4 rows of public.orders',
      );
      expect((await target.compensate(steps[0]!, ctx)).compensated).toBe(true);
      expect(await orders()).toEqual(rowsBefore);
      // The recreated id sequence continues after the restored ids.
      expect(await sql(`INSERT INTO orders (customer, total_cents) VALUES ('eve', 1) RETURNING id`)).toEqual([
        { id: 5 },
      ]);
    });
  });

  describe('a bad connection secret never shows up in the error', () => {
    const password = 'hunter2-Sekret-pw';
    const cases: Array<[string, () => Promise<string>]> = [
      [
        'a database that does not exist',
        async () => `postgres://postgres:${password}@127.0.0.1:5432/ripcord_no_such_db_${password}`,
      ],
      [
        'a port where nothing listens',
        async () => `postgres://app:${password}@127.0.0.1:${await findFreePort()}/orders`,
      ],
      ['a string that is not a URL', async () => `not a url ${password}`],
    ];

    test.each(cases)('%s', async (_what, secretValue) => {
      const value = await secretValue();
      const t = new MigrationsTarget(config, { secrets: mapSecrets({ BAD_DB: value }) });
      const step = downMigrationStep('002_add_discount_code', {
        connectionSecret: '${secret:BAD_DB}',
        index: 7,
      });
      for (const call of [() => t.apply(step, stepContext()), () => t.verify(step, stepContext())]) {
        const error = (await call().catch((e: unknown) => e)) as Error;
        expect(error).toBeInstanceOf(Error);
        expect(error.message).not.toContain(value);
        expect(error.message).not.toContain(password);
        expect(error.stack ?? '').not.toContain(password);
        expect(JSON.stringify(error)).not.toContain(password);
        expect(error.message).toMatch(/PostgreSQL/);
      }
    });
  });
});
