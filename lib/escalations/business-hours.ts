/** Business hours for escalation SLAs: Monday to Friday, 09:00–17:00 UTC. */
const OPEN_HOUR = 9;
const CLOSE_HOUR = 17;

function isBusinessDay(date: Date) {
  const day = date.getUTCDay();
  return day !== 0 && day !== 6;
}

/** The moment `hours` business hours after `start` have elapsed. */
export function addBusinessHours(start: Date, hours: number): Date {
  let remainingMs = hours * 3_600_000;
  const cursor = new Date(start);
  while (remainingMs > 0) {
    const open = new Date(cursor);
    open.setUTCHours(OPEN_HOUR, 0, 0, 0);
    const close = new Date(cursor);
    close.setUTCHours(CLOSE_HOUR, 0, 0, 0);
    if (!isBusinessDay(cursor) || cursor >= close) {
      cursor.setUTCDate(cursor.getUTCDate() + 1);
      cursor.setUTCHours(OPEN_HOUR, 0, 0, 0);
      continue;
    }
    if (cursor < open) cursor.setTime(open.getTime());
    const available = close.getTime() - cursor.getTime();
    const used = Math.min(available, remainingMs);
    cursor.setTime(cursor.getTime() + used);
    remainingMs -= used;
  }
  return cursor;
}
