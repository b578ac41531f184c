/**
 * The date stamped on artifacts and approvals: an explicit option, else
 * SOURCE_DATE_EPOCH (reproducible builds), else now.
 */
export function resolveDate(option: string | undefined, env: NodeJS.ProcessEnv = process.env): Date {
  if (option !== undefined) {
    const date = new Date(option);
    if (Number.isNaN(date.getTime()))
      throw new Error(`--date "${option}" is not a date (use e.g. 2026-11-25 or 2026-11-25T10:00:00Z)`);
    return date;
  }
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && epoch !== '') {
    if (!/^\d+$/.test(epoch)) throw new Error(`SOURCE_DATE_EPOCH "${epoch}" is not a whole number of seconds`);
    return new Date(Number(epoch) * 1000);
  }
  return new Date();
}
