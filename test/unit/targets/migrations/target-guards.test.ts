import path from 'node:path';
import { PermanentStepError } from '../../../../src/targets';
import { MigrationsTarget, MigrationsTargetConfig } from '../../../../src/targets/migrations';
import { downMigrationStep, mapSecrets, stepContext } from './steps';

/**
 * What the target refuses before it ever reaches for the connection secret:
 * these paths need no database, and `asked` proves none was contacted.
 */
const FIXTURES = path.resolve(__dirname, '../../../fixtures/migrations');

function target(services: Record<string, unknown> = {}) {
  const secrets = mapSecrets({ CHECKOUT_DB: 'postgres://app:s3cret-value@127.0.0.1:1/none' });
  const config = MigrationsTargetConfig.parse({
    type: 'postgres-migrations',
    services: {
      checkout: { migrationsDir: 'orders', connectionSecret: '${secret:CHECKOUT_DB}' },
      ...services,
    },
  });
  return { target: new MigrationsTarget(config, { baseDir: FIXTURES, secrets }), secrets };
}

describe('migrations target: fails closed without touching the database', () => {
  it('refuses a step the policy marks irreversible, and has nothing to compensate for it', async () => {
    const { target: t, secrets } = target();
    const step = downMigrationStep('002_add_discount_code', { reversible: false });
    await expect(t.apply(step, stepContext())).rejects.toThrow(PermanentStepError);
    await expect(t.apply(step, stepContext())).rejects.toThrow(
      /migration 002_add_discount_code is irreversible by policy.*freeze and escalate/,
    );
    expect(await t.compensate(step, stepContext())).toEqual({
      compensated: false,
      detail: 'an irreversible migration step is never run by ripcord: nothing to undo',
    });
    expect(secrets.asked).toEqual([]);
  });

  it('refuses a down the classifier finds destructive although the policy says reversible', async () => {
    const { target: t, secrets } = target();
    const failure = t.apply(downMigrationStep('003_drop_legacy_note'), stepContext());
    await expect(failure).rejects.toThrow(PermanentStepError);
    await expect(t.apply(downMigrationStep('003_drop_legacy_note'), stepContext())).rejects.toThrow(
      /migration 003_drop_legacy_note is destructive to roll back, although the policy calls it reversible: the up drops column public\.orders\.legacy_note.*freeze and escalate to a person/,
    );
    expect(secrets.asked).toEqual([]);
  });

  it('refuses a service it has no migrations for, naming the ones it has', async () => {
    const { target: t } = target();
    await expect(
      t.apply(downMigrationStep('002_add_discount_code'), stepContext('payments')),
    ).rejects.toThrow('no migrations are configured for service "payments" (configured: checkout)');
  });

  it('refuses when neither the targets file nor the step names a connection secret', async () => {
    const { target: t } = target({ payments: { migrationsDir: 'orders' } });
    await expect(
      t.apply(downMigrationStep('002_add_discount_code'), stepContext('payments')),
    ).rejects.toThrow(/no database connection for service "payments": set connectionSecret/);
  });

  it('an unset secret is a permanent error naming the secret, not a value', async () => {
    const { target: t } = target();
    const step = downMigrationStep('002_add_discount_code', { connectionSecret: '${secret:OTHER_DB}' });
    const error = await t.apply(step, stepContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentStepError);
    expect((error as Error).message).toMatch(/secret "OTHER_DB" is not set/);
  });

  it('classifies a service migration without connecting', async () => {
    const { target: t, secrets } = target();
    expect((await t.classify('checkout', '002_add_discount_code')).kind).toBe('reversible');
    expect(secrets.asked).toEqual([]);
  });
});

describe('MigrationsTargetConfig', () => {
  it('applies node-pg-migrate defaults', () => {
    const parsed = MigrationsTargetConfig.parse({
      type: 'postgres-migrations',
      services: { checkout: { migrationsDir: 'db/migrations', connectionSecret: '${secret:CHECKOUT_DB}' } },
    });
    expect(parsed.services.checkout).toEqual({
      migrationsDir: 'db/migrations',
      connectionSecret: '${secret:CHECKOUT_DB}',
      migrationsTable: 'pgmigrations',
      schema: 'public',
      snapshotSchema: 'ripcord_snapshots',
      lockTimeoutSeconds: 5,
    });
  });

  it('names each bad field and never echoes a pasted connection string', () => {
    const pasted = 'postgres://app:hunter2-pw@db.internal/checkout';
    const result = MigrationsTargetConfig.safeParse({
      type: 'postgres-migrations',
      services: { checkout: { migrationsDir: '', connectionSecret: pasted, schema: 'bad name' } },
    });
    expect(result.success).toBe(false);
    const issues = result.error?.issues ?? [];
    expect(issues.map((i) => i.path.join('.')).sort()).toEqual([
      'services.checkout.connectionSecret',
      'services.checkout.migrationsDir',
      'services.checkout.schema',
    ]);
    expect(JSON.stringify(issues)).not.toContain('hunter2');
  });

  it('needs at least one service', () => {
    const result = MigrationsTargetConfig.safeParse({ type: 'postgres-migrations', services: {} });
    expect(result.error?.issues[0]?.message).toBe('must name at least one service');
  });
});
