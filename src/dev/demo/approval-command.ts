import { isAbsolute, relative } from 'node:path';
import { approveCommand, shellWord } from '../../model/operator-commands';

/**
 * The command the high-risk story prints for a person to approve the
 * rollback from another shell in the repository, exactly as it must be typed:
 * the demo's Temporal address and namespace when they are not the ones the
 * `local` profile names (and its Web UI, so the links the command prints lead somewhere),
 * the guardian, the plan being approved, the private key that signs the
 * approval token, and who approves in which role.
 */

/** What the `local` connection profile names (temporal-config/profiles/local.yaml). */
export const LOCAL_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const LOCAL_WEB_UI = 'http://127.0.0.1:8233';
export const LOCAL_NAMESPACE = 'default';

export interface ApprovalCommandInput {
  temporalAddress: string;
  namespace: string;
  webUi: string;
  deploymentId: string;
  service: string;
  environment: string;
  planHash: string;
  /** The private JWK file that signs the approval token. */
  keyFile: string;
  approver: string;
  role: string;
  /** The directory the command is run from (a key file under it is named relative to it). */
  cwd: string;
  /** The demo's payload keyring: the CLI needs it to read and write the guardian's encrypted messages. */
  codecKeysFile?: string;
}

export function approvalCommand(input: ApprovalCommandInput): string {
  const env: string[] = [];
  if (input.temporalAddress !== LOCAL_TEMPORAL_ADDRESS) env.push(`TEMPORAL_ADDRESS=${input.temporalAddress}`);
  if (input.webUi.replace(/\/+$/, '') !== LOCAL_WEB_UI) env.push(`RIPCORD_WEB_UI=${input.webUi}`);
  if (input.codecKeysFile) env.push(`RIPCORD_CODEC_KEYS=${shortPath(input.codecKeysFile, input.cwd)}`);
  // The same command the guardian shows (status, Web UI, notifications), signed with the demo's key.
  const command = approveCommand(
    {
      deploymentId: input.deploymentId,
      service: input.service,
      environment: input.environment,
      namespace: input.namespace,
    },
    { planHash: input.planHash, roles: [input.role] },
  );
  const signing = ['--key', shortPath(input.keyFile, input.cwd), '--as', input.approver];
  return [...env.map(shellWord), command, ...signing.map(shellWord)].join(' ');
}

/** A path under `cwd` relative to it (shorter to read), anything else absolute. */
function shortPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

export { shellWord };
