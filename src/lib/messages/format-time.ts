const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** "just now", "5 min ago", "2 h ago" within a day, then the date; `locale` and `timeZone` for tests. */
export function formatRelativeTime(iso: string, now: Date, locale?: string, timeZone?: string): string {
  const then = new Date(iso);
  const elapsed = now.getTime() - then.getTime();
  if (elapsed < MINUTE) return "just now";
  if (elapsed < HOUR) return `${Math.floor(elapsed / MINUTE)} min ago`;
  if (elapsed < 24 * HOUR) return `${Math.floor(elapsed / HOUR)} h ago`;
  const sameYear = then.getUTCFullYear() === now.getUTCFullYear();
  return new Intl.DateTimeFormat(locale, {
    day: "numeric",
    month: "short",
    ...(sameYear ? {} : { year: "numeric" }),
    hour: "2-digit",
    minute: "2-digit",
    timeZone,
  }).format(then);
}

export function formatFullTime(iso: string, locale?: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: "full", timeStyle: "medium", timeZone }).format(new Date(iso));
}
