import { timingSafeEqual } from 'node:crypto';

/**
 * GitLab sends the configured secret as is in `X-Gitlab-Token`. Compared in constant time so the
 * answer's timing tells an attacker nothing about how much of a guess was right.
 */
export function verifyGitLabToken(expected: string, received: string | undefined): boolean {
  if (received === undefined) return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received, 'utf8');
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}
