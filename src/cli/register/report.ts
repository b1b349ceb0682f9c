import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import type * as Report from '../commands/report';
import { DEFAULT_AUDIT_FILE } from './audit-names';

/** Where `--html` alone writes: under .ripcord/ (git-ignored), never beside the sources. */
export const DEFAULT_REPORT_DIR = path.join('.ripcord', 'reports');

function parseTime(value: string): string {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms)) {
    throw new InvalidArgumentError(`expected an ISO 8601 time, e.g. 2026-01-01T12:00:00Z, got "${value}"`);
  }
  return new Date(ms).toISOString();
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const reportCommand = (): typeof Report => require('../commands/report');

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description(
      'postmortem of one deployment: timeline, signals, evidence, plan and steps, approvals, audit hashes',
    )
    .argument('<deployment-id>', 'deployment id, or the guardian workflow id (ripcord/<env>/<service>/<id>)')
    .option(
      '--service <name>',
      'with --env: the deployment of this service (deployment ids need not be global)',
    )
    .option('--env <name>', 'with --service: in this environment')
    .option(
      '--html [file]',
      `also write a self-contained HTML page (inline SVG charts, no scripts); default ${DEFAULT_REPORT_DIR}/<deployment-id>.html`,
    )
    .option('--json', "print the report's data as JSON instead of text")
    .option('--audit-file <file>', `JSONL audit trail (default ${DEFAULT_AUDIT_FILE} when it exists)`)
    .option(
      '--audit-db <url|${secret:NAME}>',
      'read the audit trail from PostgreSQL (default: $RIPCORD_AUDIT_DB)',
    )
    .option(
      '--onset <time>',
      'when the regression began, if known (ISO 8601); marked on the charts',
      parseTime,
    )
    .option('--profile <name|file>', 'connection profile (default: local or $RIPCORD_PROFILE)')
    .addHelpText(
      'after',
      "\nSources: the guardian's workflow history (decoded with the configured payload codec), its status\n" +
        'query when a worker answers, and the audit trail. The verdict of each interval is recomputed from\n' +
        'the recorded readings by the same decision core; the recorded decision is what happened.\n' +
        '\nExit codes: 0 report written, 1 no such guardian, Temporal unreachable, or the audit trail does\n' +
        'not verify (the report is still written), 2 usage error.',
    )
    .action(async (id: string, flags: Report.ReportFlags) => reportCommand().report(id, flags));
}
