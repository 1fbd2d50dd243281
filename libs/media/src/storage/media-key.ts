/** S3's limit on a key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * Throws unless `key` is a store key both stores accept alike: `/`-separated segments, none of
 * them empty, `.` or `..`, no backslash, no control character (NUL included), at most 1024 bytes.
 * The local store would otherwise be led out of its directory; S3 would accept such keys, but a
 * key must not work in one store and break in the other the day a deployment switches.
 */
export function assertMediaKey(key: string): void {
  const problem = whyInvalid(key);
  if (problem) throw new Error(`Invalid media key ${JSON.stringify(key)}: ${problem}`);
}

function whyInvalid(key: string): string | undefined {
  if (key.length === 0) return 'it is empty';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `it is longer than ${MAX_KEY_BYTES} bytes`;
  if (CONTROL_CHARACTER.test(key)) return 'it contains a control character';
  if (key.includes('\\')) return 'it contains a backslash';
  if (key.startsWith('/')) return 'it is absolute';
  const segments = key.split('/');
  if (segments.some((segment) => segment === '')) return 'it has an empty segment';
  if (segments.some((segment) => segment === '.' || segment === '..')) return 'it has a "." or ".." segment';
  return undefined;
}
