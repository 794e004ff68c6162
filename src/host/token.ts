import { createHash, timingSafeEqual } from 'node:crypto';

/** Whether a given token is the server's (constant time: sha256 digests, of equal length, are compared). */
export function tokenMatches(given: unknown, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}
