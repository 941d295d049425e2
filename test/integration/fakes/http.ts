// Plain REST calls to the fake GitLab for its own tests: what any client would send, so the
// fake's answers are checked without an adapter in between.
import type { FakeGitLab } from '../../fakes/gitlab';

export type Json = Record<string, unknown>;

export interface ApiAnswer {
  status: number;
  body: Json;
  headers: Headers;
}

/** One request to /api/v4 as `username` (by token); the body is sent as JSON. */
export async function api(
  fake: FakeGitLab,
  username: string,
  method: string,
  path: string,
  body?: Json,
): Promise<ApiAnswer> {
  const res = await fetch(`${fake.url}/api/v4${path}`, {
    method,
    headers: {
      'PRIVATE-TOKEN': fake.user(username).token,
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: Json = {};
  try {
    parsed = text ? (JSON.parse(text) as Json) : {};
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** `/projects/group%2Fapp` */
export const projectPath = (project: string): string => `/projects/${encodeURIComponent(project)}`;

/** GET of one MR; throws unless GitLab answers 200. */
export async function getMr(fake: FakeGitLab, username: string, project: string, iid: number): Promise<Json> {
  const r = await api(fake, username, 'GET', `${projectPath(project)}/merge_requests/${iid}`);
  if (r.status !== 200) throw new Error(`GET MR answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** PUT .../merge with the sha guard. */
export function mergeMr(fake: FakeGitLab, username: string, project: string, iid: number, sha: string): Promise<ApiAnswer> {
  return api(fake, username, 'PUT', `${projectPath(project)}/merge_requests/${iid}/merge`, { sha });
}

/** Polls `read` until `ok` holds, for what GitLab does in the background; fails after `timeoutMs`. */
export async function eventually<T>(read: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`still not there after ${timeoutMs} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
