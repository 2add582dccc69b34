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

// Making a formatter costs far more than using one, and a busy board formats hundreds of times a second.
const fullTimeFormats = new Map<string, Intl.DateTimeFormat>();

export function formatFullTime(iso: string, locale?: string, timeZone?: string): string {
  const key = `${locale ?? ""}|${timeZone ?? ""}`;
  let format = fullTimeFormats.get(key);
  if (!format) fullTimeFormats.set(key, (format = new Intl.DateTimeFormat(locale, { dateStyle: "full", timeStyle: "medium", timeZone })));
  return format.format(new Date(iso));
}
