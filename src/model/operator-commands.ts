/**
 * The exact `ripcord` commands that end a guardian's wait, as a person pastes
 * them: approve or reject the plan at the gate, roll back or abort after an
 * escalation. One builder for every place that shows them (notifications, the
 * worker's log, `guard --wait`, `ripcord status`, the Web UI's current details,
 * the demo), so they never drift apart. Pure and deterministic: the workflow
 * imports it too.
 */

/** Which guardian a command names, and the namespace it lives in. */
export interface GuardianLocator {
  deploymentId: string;
  service: string;
  environment: string;
  /** The guardian's Temporal namespace; commands name it unless it is "default". */
  namespace: string;
}

/** What the gate asks for: the plan to judge and the roles that may judge it. */
export interface ApprovalAsk {
  planHash: string;
  roles: readonly string[];
}

/** How a person signs the command: the CLI needs one of these unless the worker trusts plain claims. */
export const SIGNING_HINT =
  'sign it: add --key <private JWK> --as <your name>, or pass --token <jws> (or set RIPCORD_TOKEN)';

/** A word as a POSIX shell reads it: plain when it is safe, single-quoted otherwise. */
export function shellWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The CLI finds guardians in the namespace of the person's connection profile.
 * A guardian in any other namespace is only found if the command says so, and
 * a pasted command that looks in the wrong namespace fails with "no guardian",
 * mid-incident; so commands name a namespace other than "default".
 */
export function namespacePrefix(namespace: string): string {
  if (namespace === 'default' || namespace === '') return '';
  return `TEMPORAL_NAMESPACE=${shellWord(namespace)} `;
}

/** `npx ripcord`, with the namespace in front when it is not the default one. */
export function ripcordCli(namespace: string): string {
  return `${namespacePrefix(namespace)}npx ripcord`;
}

/** `<deployment-id> --service <s> --env <e>`: finds the guardian without a lookup. */
export function locateArgs(at: Omit<GuardianLocator, 'namespace'>): string {
  return `${shellWord(at.deploymentId)} --service ${shellWord(at.service)} --env ${shellWord(at.environment)}`;
}

/** The role to pass: the only one there is, or a placeholder naming the choices. */
export function roleArg(roles: readonly string[]): string {
  if (roles.length === 1) return shellWord(roles[0]!);
  return `<one of ${roles.join(', ')}>`;
}

/** `… approve <id> --service <s> --env <e> --plan <full hash> --role <role>` (or `reject`), ready to paste. */
export function approveCommand(
  at: GuardianLocator,
  ask: ApprovalAsk,
  verb: 'approve' | 'reject' = 'approve',
): string {
  return `${ripcordCli(at.namespace)} ${verb} ${locateArgs(at)} --plan ${shellWord(ask.planHash)} --role ${roleArg(ask.roles)}`;
}

/**
 * What a person can do with an escalated guardian: look, roll back now, or
 * stop it. With `roles` (the policy's approval roles), the commands that act
 * name the role to act in.
 */
export function escalationCommands(at: GuardianLocator, roles: readonly string[] = []): string[] {
  const cli = ripcordCli(at.namespace);
  const locate = locateArgs(at);
  const role = roles.length > 0 ? ` --role ${roleArg(roles)}` : '';
  return [
    `${cli} status ${locate}`,
    `${cli} rollback ${locate}${role} --reason "<why>"`,
    `${cli} abort ${locate}${role} --reason "<why>"`,
  ];
}
