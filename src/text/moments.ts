import { formatDuration } from './duration';

/** Points in time as people read them: the UTC moment and how far it is from now. */

/** "2026-01-01T12:00:00.000Z" → "2026-01-01 12:00:00Z (in 4m 30s)". */
export function formatMoment(iso: string, now: Date): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const shown = new Date(at)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  const seconds = Math.round((at - now.getTime()) / 1000);
  if (seconds > 0) return `${shown} (in ${formatDuration(seconds)})`;
  if (seconds < 0) return `${shown} (${formatDuration(-seconds)} ago)`;
  return `${shown} (now)`;
}
