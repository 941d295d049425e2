// Git smart HTTP at /group/app.git, served by the real git-http-backend as a CGI child, with
// GitLab's access rules in front of it and GitLab's post-receive behaviour after it.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import type { Core, RefChange } from './core';
import { gitEnv } from './git';
import { collaborationBranches, memberLevel, ruleAdmitsPush } from './rules';
import type { ProjectRec, UserRec } from './store';
import { ACCESS_LEVEL } from './types';

const HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';
const ROUTE = /^\/(.+?)\.git\/(info\/refs|git-upload-pack|git-receive-pack)$/;

/** Basic auth with a personal access token as the password (any username, e.g. oauth2). */
function basicAuthUser(core: Core, req: Request): UserRec | undefined | 'none' {
  const header = req.get('authorization');
  const m = header?.match(/^Basic\s+(.+)$/i);
  if (!m) return 'none';
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const password = decoded.slice(decoded.indexOf(':') + 1);
  return core.store.userByToken(password);
}

function deny(res: Response, status: number, text: string, challenge = false): void {
  if (challenge) res.set('WWW-Authenticate', 'Basic realm="GitLab"');
  res.status(status).type('text/plain').send(`${text}\n`);
}

export function smartHttp(core: Core) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const m = ROUTE.exec(req.path);
    if (!m) return next();
    const [, projectPath, action] = m;
    const service = action === 'info/refs' ? new URL(req.originalUrl, 'http://x').searchParams.get('service') : action;
    const pushing = service === 'git-receive-pack';

    const user = basicAuthUser(core, req);
    // Like GitLab: anonymous requests to a private project get a challenge, so git asks for
    // (or sends) credentials; bad credentials get the same answer.
    if (user === 'none' || user === undefined) return deny(res, 401, 'HTTP Basic: Access denied', true);
    const p = core.store.projectByPath(projectPath);
    const level = p ? core.accessLevel(p, user) : 0;
    if (!p || level < ACCESS_LEVEL.guest) {
      return deny(
        res,
        404,
        "The project you were looking for could not be found or you don't have permission to view it.",
      );
    }
    if (level < ACCESS_LEVEL.reporter) return deny(res, 403, 'You are not allowed to download code from this project.');
    if (pushing && !mayPushSomething(core, p, user))
      return deny(res, 403, 'You are not allowed to push code to this project.');

    runBackend(core, req, res, p, user).catch((e: unknown) => {
      core.log(`fake gitlab: git-http-backend failed: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) res.status(500).end();
      else res.end();
    });
  };
}

async function runBackend(
  core: Core,
  req: Request,
  res: Response,
  p: ProjectRec,
  user: UserRec,
): Promise<void> {
  const receivePack = req.path.endsWith('/git-receive-pack');
  // The post-receive hook appends "old new ref" lines here: exactly what this push changed.
  const pushLog = receivePack ? newPushLogPath() : '';
  const env = gitEnv({
    GIT_PROJECT_ROOT: core.reposDir,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: req.path,
    REQUEST_METHOD: req.method,
    QUERY_STRING: new URL(req.originalUrl, 'http://x').search.slice(1),
    CONTENT_TYPE: req.get('content-type') ?? '',
    REMOTE_USER: user.username,
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    ...pushHookEnv(core, p, user, pushLog),
  });
  const optional: Array<[string, string]> = [
    ['CONTENT_LENGTH', 'content-length'],
    ['HTTP_CONTENT_ENCODING', 'content-encoding'],
    ['GIT_PROTOCOL', 'git-protocol'],
  ];
  for (const [name, header] of optional) {
    const v = req.get(header);
    if (v) env[name] = v;
  }

  const child = spawn(HTTP_BACKEND, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.on('error', () => undefined); // the backend may stop reading early on errors
  req.pipe(child.stdin);
  // A client that goes away mid-request (its git timed out, its activity was cancelled) never
  // ends the request body: the backend would wait on stdin forever, holding the ref locks.
  res.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  // CGI output: headers, a blank line, then the body, which is streamed through.
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const split = findHeaderEnd(head);
    if (!split) return;
    headersDone = true;
    applyCgiHeaders(res, head.subarray(0, split.start).toString('latin1'));
    const rest = head.subarray(split.end);
    if (rest.length > 0) res.write(rest);
  });

  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) core.log(`fake gitlab: git-http-backend exited ${code}: ${stderr.trim()}`);

  if (receivePack) {
    // React before answering, so when `git push` returns the MR head and pipeline already exist.
    const changes = readPushLog(pushLog);
    if (changes.length > 0) await core.withLock(p, () => core.applyRefChanges(p, changes, user));
  }
  if (!headersDone) {
    if (!res.headersSent) res.status(502);
    res.end();
    return;
  }
  res.end();
}

/** What pre-receive checks for one pusher (see PUSH_CHECKS_SCRIPT in git.ts). */
interface PushPolicy {
  /** Developer or more in the project: may push, subject to protected branches. */
  memberCanPush: boolean;
  /** Branches a non-member may push to through fork MR collaboration. */
  collaborationBranches: string[];
  protected: Array<{ name: string; canPush: boolean; allowForcePush: boolean }>;
  commitMessageRegex?: string;
  rejectMessage?: string;
}

/** A member who may write code, or a collaborator on one of the project's fork MRs. */
export function mayPushSomething(core: Core, p: ProjectRec, user: UserRec): boolean {
  return memberLevel(p, user) >= ACCESS_LEVEL.developer || collaborationBranches(core.store, p, user).length > 0;
}

/**
 * What the pre-receive / post-receive hooks (see git.ts) read: what this pusher may do and where
 * post-receive logs the changed refs. Shared by smart HTTP and the SSH server so both enforce
 * the same rules.
 */
export function pushHookEnv(core: Core, p: ProjectRec, user: UserRec, pushLog: string): Record<string, string> {
  const policy: PushPolicy = {
    memberCanPush: memberLevel(p, user) >= ACCESS_LEVEL.developer,
    collaborationBranches: collaborationBranches(core.store, p, user),
    protected: p.protectedBranches.map((r) => ({
      name: r.name,
      canPush: ruleAdmitsPush(core.store, p, user, r),
      allowForcePush: r.allowForcePush,
    })),
    ...(p.pushRule?.commitMessageRegex
      ? { commitMessageRegex: p.pushRule.commitMessageRegex, rejectMessage: p.pushRule.rejectMessage ?? '' }
      : {}),
  };
  return {
    FAKE_GITLAB_PUSH_POLICY: JSON.stringify(policy),
    FAKE_GITLAB_NODE: process.execPath,
    FAKE_GITLAB_PUSH_LOG: pushLog,
  };
}

/** A fresh file for post-receive to append "old new ref" lines to. */
export function newPushLogPath(): string {
  return path.join(os.tmpdir(), `fake-gitlab-push-${crypto.randomUUID()}.log`);
}

function findHeaderEnd(buf: Buffer): { start: number; end: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { start: crlf, end: crlf + 4 };
  if (lf >= 0) return { start: lf, end: lf + 2 };
  return undefined;
}

function applyCgiHeaders(res: Response, text: string): void {
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    if (name.toLowerCase() === 'status') res.status(Number.parseInt(value, 10) || 200);
    else res.setHeader(name, value);
  }
}

export function readPushLog(file: string): RefChange[] {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return []; // nothing was accepted (hook refused, or no ref changed)
  } finally {
    fs.rmSync(file, { force: true });
  }
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((parts) => parts.length === 3)
    .map(([before, after, ref]) => ({ before, after, ref }));
}
