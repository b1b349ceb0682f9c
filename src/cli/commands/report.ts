import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_AUDIT_FILE } from '../../activities/audit/jsonl-sink';
import { collectReport, HistoryDecodeError, renderHtml, renderText } from '../../report';
import { EXIT } from '../exit-codes';
import { UserFacingError } from '../errors';
import { locateGuardian } from '../guardian-lookup';
import { withSession } from '../temporal-session';
import { DEFAULT_REPORT_DIR } from '../register/report';
import { auditSource } from './audit';
import { RELEASE_WORKFLOW_TYPE } from '../../model/release';
import { collectReleaseReport, renderReleaseText } from '../../report/release';

/**
 * `ripcord report <deployment-id>`: what one guardian saw, decided and did, for
 * a postmortem. Text on stdout; `--html` also writes a self-contained page
 * with the signals plotted; `--json` prints the report's data instead.
 */

export interface ReportFlags {
  service?: string;
  env?: string;
  /** A file, or true for `--html` alone: then under .ripcord/reports/. */
  html?: string | true;
  json?: boolean;
  auditFile?: string;
  auditDb?: string;
  onset?: string;
  profile?: string;
}

/**
 * The HTML file to write: the path given, else .ripcord/reports/<deployment>.html
 * (the id's last part, as a file name: a full workflow id has slashes).
 */
export function htmlReportFile(html: string | true, id: string): string {
  if (typeof html === 'string') return path.resolve(html);
  const name = (id.split('/').pop() || 'report').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return path.resolve(DEFAULT_REPORT_DIR, `${name}.html`);
}

/**
 * The trail to read: the one asked for (an unreadable one is an error), else
 * $RIPCORD_AUDIT_DB, else the default file when it exists (none: no hashes).
 */
function chooseTrail(flags: ReportFlags) {
  const explicit = flags.auditFile || flags.auditDb || process.env.RIPCORD_AUDIT_DB;
  if (!explicit && !existsSync(DEFAULT_AUDIT_FILE)) return undefined;
  return auditSource(undefined, {
    ...(flags.auditFile ? { file: flags.auditFile } : {}),
    ...(flags.auditDb ? { db: flags.auditDb } : {}),
  });
}

/** `ripcord report`. */
export async function report(id: string, flags: ReportFlags): Promise<void> {
  if (Boolean(flags.service) !== Boolean(flags.env)) {
    throw new UserFacingError('--service and --env go together (they pin the deployment id)', EXIT.usage);
  }
  if (flags.json && flags.html) throw new UserFacingError('choose --json or --html, not both', EXIT.usage);
  const trail = chooseTrail(flags);
  await withSession(flags.profile, async ({ client, link, serviceLink }) => {
    const handle = await locateGuardian(client, id, flags);
    if ((await handle.describe()).type === RELEASE_WORKFLOW_TYPE) {
      if (flags.html)
        throw new UserFacingError(
          '--html: a release has no page of its own yet; its text report names each member, whose page `ripcord report <member workflow id> --html` writes',
          EXIT.usage,
        );
      const release = await collectReleaseReport(client, handle, trail ? { trail } : {}).catch(
        (err: unknown) => {
          if (err instanceof HistoryDecodeError) throw new UserFacingError(err.message);
          throw err;
        },
      );
      process.stdout.write(
        flags.json ? `${JSON.stringify(release, null, 2)}\n` : renderReleaseText(release, link),
      );
      return;
    }
    const built = await collectReport(client, handle, {
      ...(trail ? { trail } : {}),
      ...(flags.onset ? { onsetAt: flags.onset } : {}),
    }).catch((err: unknown) => {
      if (err instanceof HistoryDecodeError) throw new UserFacingError(err.message);
      throw err;
    });
    const url = link(handle.workflowId);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(built, null, 2)}\n`);
    } else {
      process.stdout.write(renderText(built, url));
      const list = serviceLink(handle.workflowId);
      if (list) process.stdout.write(`Web UI       ${list}\n`);
    }
    if (flags.html) {
      const file = htmlReportFile(flags.html, id);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, renderHtml(built, url, new Date()), 'utf8');
      process.stdout.write(`\nHTML report written to ${file}\n`);
    }
    if (built.audit.trail && !built.audit.trail.verified) process.exitCode = EXIT.refusedOrFailed;
  });
}
