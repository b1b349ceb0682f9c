import type { GuardianStatus } from '../model/guardian';
import { formatMoment } from '../text/moments';

/** What a guardian waits for, and until when, in words. */
export function formatWaiting(waiting: GuardianStatus['waiting'], now: Date): string | undefined {
  if (!waiting) return undefined;
  return waiting.until ? `${waiting.for} until ${formatMoment(waiting.until, now)}` : waiting.for;
}
