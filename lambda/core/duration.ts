const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;
const DURATION = /^(\d+)(s|m|h|d)$/;

/** Parses the config's durations (`90s`, `30m`, `6h`, `2d`) into seconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  return seconds > 0 ? seconds : undefined;
}

/**
 * Seconds back as the config writes them, in the largest unit that divides them (`1800` -> `30m`), so what
 * the API and CLI show matches the config file.
 */
export function formatDuration(seconds: number): string {
  const unit = (['d', 'h', 'm'] as const).find((u) => seconds % UNIT_SECONDS[u] === 0) ?? 's';
  return `${seconds / UNIT_SECONDS[unit]}${unit}`;
}

/** "3 min ago"-style text for a number of seconds, used by the CLI and alert messages. */
export function formatAge(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}
