import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PrometheusError, renderConfig, startPrometheus } from '../../../../src/dev/prometheus';

test('targets of one job share one scrape config and keep their own labels', () => {
  const config = parse(
    renderConfig(
      [
        { job: 'checkout', targets: ['127.0.0.1:1'], labels: { group: 'baseline' } },
        { job: 'checkout', targets: ['127.0.0.1:2'], labels: { group: 'canary' } },
        { job: 'other', targets: ['127.0.0.1:3'] },
      ],
      2,
    ),
  );
  expect(config.global).toEqual({ scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '2s' });
  expect(config.scrape_configs).toEqual([
    {
      job_name: 'checkout',
      honor_labels: true,
      static_configs: [
        { targets: ['127.0.0.1:1'], labels: { group: 'baseline' } },
        { targets: ['127.0.0.1:2'], labels: { group: 'canary' } },
      ],
    },
    { job_name: 'other', honor_labels: true, static_configs: [{ targets: ['127.0.0.1:3'] }] },
  ]);
});

describe('start-up problems are said plainly', () => {
  let dir: string;
  const saved = process.env.RIPCORD_PROMETHEUS_BIN;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ripcord-prom-config-'));
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.RIPCORD_PROMETHEUS_BIN;
    else process.env.RIPCORD_PROMETHEUS_BIN = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  test('a missing binary names the path and how to get one', async () => {
    process.env.RIPCORD_PROMETHEUS_BIN = join(dir, 'no-prometheus');
    const started = startPrometheus({ dir, scrapeTargets: [], scrapeIntervalSeconds: 1 });
    await expect(started).rejects.toThrow(PrometheusError);
    await expect(started).rejects.toThrow(/not installed at .*no-prometheus.*RIPCORD_PROMETHEUS_BIN/);
  });
});
