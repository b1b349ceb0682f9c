/** Durations as people read them ("2m 30s"). */

/** Whole seconds as a person says them: 90 → "1m 30s", 7200 → "2h". */
export function formatDuration(totalSeconds: number): string {
  if (totalSeconds === 0) return '0s';
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = Math.round(totalSeconds);
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.slice(0, 2).join(' ');
}
