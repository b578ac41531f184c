/**
 * `redis://user:secret@host:6379` → `redis://***@host:6379`. Works on text
 * that is not a valid URL too, since a bad REDIS_URL is echoed in errors:
 * everything up to the last `@` goes, so a password holding a raw `@` is not
 * half shown.
 */
export function redactUrl(text: string): string {
  return text.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/{0,2})?.*@/, '$1***@');
}
