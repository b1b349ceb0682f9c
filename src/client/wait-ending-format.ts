import { waitEnding, type WaitingStatus } from '../model/wait-ending';

/**
 * How to end a guardian's wait, as `guard --wait` and `ripcord status` print
 * it: who may act and until when, the plan, the exact commands (from the
 * shared builder in src/model, as the Web UI and notifications show them).
 * Empty when no person is needed. `moment` writes the deadline ("… (in 15m)":
 * formatMoment of status-format, passed in so the two files do not import each
 * other); `indent` prefixes every line.
 */
export function formatWaitEnding(
  status: WaitingStatus,
  namespace: string,
  moment: (iso: string) => string,
  indent = '  ',
): string[] {
  const ending = waitEnding(status, namespace);
  if (!ending) return [];
  const until = ending.until ? `, until ${moment(ending.until)}` : ' (no deadline)';
  return [
    `who may act: ${ending.who}${until}`,
    ...(ending.planHash ? [`plan ${ending.planHash}`] : []),
    ...ending.commands.map((command) => `run: ${command}`),
    `(${ending.hint})`,
  ].map((line) => `${indent}${line}`);
}
