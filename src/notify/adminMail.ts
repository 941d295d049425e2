// Mail to the administrator about failures that are not a merge request's fault (expired token,
// missing permission, a forge that is down). The people of the merge request are not the ones who
// can fix those, so they hear about them from nobody but this mail's reader.
import { createHash } from 'node:crypto';
import { createTransport } from 'nodemailer';

export interface AdminReport {
  /** Short, e.g. "Backport of group/app!42 to release-1.2 failed". */
  subject: string;
  project: string;
  iid: number;
  mergeRequestUrl?: string;
  /** What failed, e.g. "backport to release-1.2". */
  what: string;
  /** The error text; credentials in it by accident are removed before sending. */
  error: string;
  /**
   * Stable per report (e.g. derived from the workflow id and the step): a retried send carries
   * the same Message-ID, so mail clients show one message.
   */
  key: string;
}

export interface AdminMailer {
  send(report: AdminReport): Promise<void>;
}

export interface AdminMailerOptions {
  /** `smtp://[user:password@]host[:port]` (STARTTLS when offered) or `smtps://...` (TLS from the start). */
  smtpUrl: string;
  adminEmail: string;
  from: string;
  /** Literal values that must never be sent (forge tokens, webhook secrets, storage keys). */
  secrets: readonly string[];
  /** Bound on connecting, on the greeting and on each wait for the server (default 5 s / 5 s / 10 s). */
  timeoutMs?: number;
}

/** A failed send. Its message has been scrubbed: it never holds the SMTP password. */
export class AdminMailError extends Error {
  override readonly name = 'AdminMailError';
  constructor(
    message: string,
    /** nodemailer's error code, e.g. ECONNECTION, ETIMEDOUT, EAUTH, EENVELOPE, EMESSAGE. */
    readonly code?: string,
    /** The SMTP reply code when the server answered, e.g. 550. */
    readonly responseCode?: number,
  ) {
    super(message);
  }
}

export const REDACTED = '[redacted]';

// Only these are credentials by their shape; anything else must be passed in `secrets`.
const TOKEN_PATTERNS: readonly [RegExp, (match: string, ...groups: string[]) => string][] = [
  // GitLab personal/project/group, OAuth, deploy, runner, CI job, trigger, feed, SCIM ... tokens.
  [/\b(?:glpat|gloas|gldt|glrt|glrtr|glcbt|glptt|glft|glimt|glagent|glsoat|glffct|glwt|gltst)-[A-Za-z0-9_.-]{8,}/g, () => REDACTED],
  // GitHub tokens (the second forge) and Slack tokens (the other notifier).
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, () => REDACTED],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/g, () => REDACTED],
  // Userinfo of any URL: https://oauth2:TOKEN@host, smtp://user:password@host (up to the last @,
  // for passwords with a raw @ in them).
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#'"<>]+@/gi, (_m, scheme) => `${scheme}${REDACTED}@`],
  // Authorization headers, with or without a scheme word, also as JSON or key=value.
  [
    /\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:(bearer|basic|token|digest)\s+)?[^\s"',;]+/gi,
    (_m, head, scheme) => `${head}${scheme ? `${scheme} ` : ''}${REDACTED}`,
  ],
  [/\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, (_m, word) => `${word} ${REDACTED}`],
  // GitLab's token headers and parameters (PRIVATE-TOKEN: x, private_token=x, "job_token": "x").
  [
    /\b((?:private|job|deploy)[-_]token|x-gitlab-token|x-api-key)(["']?\s*[:=]\s*["']?)[^\s"',;&]+/gi,
    (_m, name, sep) => `${name}${sep}${REDACTED}`,
  ],
  // Other tokens in query strings.
  [/([?&](?:access_token|token|api_key|password)=)[^&\s#'"]+/gi, (_m, head) => `${head}${REDACTED}`],
];

/**
 * Removes every literal secret (raw and percent-encoded) and everything shaped like a credential.
 * Literals go first: a password inside a URL is gone even when the URL pattern misses it.
 */
export function redactForMail(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of literalSecrets(secrets)) out = out.split(secret).join(REDACTED);
  for (const [pattern, replace] of TOKEN_PATTERNS) out = out.replace(pattern, replace);
  return out;
}

function literalSecrets(secrets: readonly string[]): string[] {
  const all = new Set<string>();
  for (const secret of secrets) {
    // Very short values would shred ordinary words, and cannot be a credential worth the name.
    if (secret.length < 4) continue;
    all.add(secret);
    all.add(encodeURIComponent(secret));
  }
  // Longest first, so a secret that contains another one is removed whole.
  return [...all].sort((a, b) => b.length - a.length);
}

interface SmtpTarget {
  host: string;
  port?: number;
  secure: boolean;
  auth?: { user: string; pass: string };
  /** The password raw and decoded, for scrubbing whatever nodemailer or the server says. */
  secrets: string[];
}

function parseSmtpUrl(smtpUrl: string): SmtpTarget {
  let url: URL;
  try {
    url = new URL(smtpUrl);
  } catch {
    // Node's own error carries the whole input, password included: say only what is wrong.
    throw new AdminMailError('smtp-url is not a valid URL (expected smtp://[user:password@]host[:port] or smtps://...)');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new AdminMailError(`smtp-url must start with smtp:// or smtps://, not ${url.protocol}//`);
  }
  if (!url.hostname) throw new AdminMailError('smtp-url has no host');
  if (url.search) {
    // Options are not read from the URL (nodemailer's own parser would take even
    // tls.rejectUnauthorized from it): refuse them rather than ignore what the admin asked for.
    throw new AdminMailError('smtp-url must not have a query string');
  }
  const user = decode(url.username);
  const pass = decode(url.password);
  return {
    // WHATWG keeps IPv6 literals bracketed; sockets want them bare.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    ...(url.port ? { port: Number(url.port) } : {}),
    secure: url.protocol === 'smtps:',
    ...(user || pass ? { auth: { user, pass } } : {}),
    // The user name is not secret (it is often the From address); the password is.
    secrets: pass ? [pass, url.password] : [],
  };
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Deterministic per key, so a retried send is the same message to the admin's mail client. */
export function reportMessageId(key: string): string {
  return `<${sha256(key).slice(0, 32)}@shepherd>`;
}

// Huge errors (whole git or CI logs) make unreadable mail; the tail is rarely what matters.
const MAX_ERROR_CHARS = 20_000;
const MAX_SUBJECT_CHARS = 200;

function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function body(report: AdminReport): string {
  const error =
    report.error.length > MAX_ERROR_CHARS
      ? `${report.error.slice(0, MAX_ERROR_CHARS)}\n[... ${report.error.length - MAX_ERROR_CHARS} more characters cut]`
      : report.error;
  const mr = `!${report.iid}${report.mergeRequestUrl ? ` ${report.mergeRequestUrl}` : ''}`;
  return [
    `Shepherd could not finish this: ${report.what}.`,
    '',
    `Project:        ${report.project}`,
    `Merge request:  ${mr}`,
    '',
    'Error:',
    ...error.split(/\r?\n/).map((line) => `    ${line}`),
    '',
    "This is not the merge request's fault: its author and reviewers were not blamed or asked to act.",
    'Shepherd retries this step by itself. If the error persists, an administrator may need to fix',
    "the bot's credentials (an expired or revoked token) or its permissions on the project.",
    '',
    `Report: ${sha256(report.key).slice(0, 32)}`,
    '',
  ].join('\n');
}

export function createAdminMailer(opts: AdminMailerOptions): AdminMailer {
  const target = parseSmtpUrl(opts.smtpUrl);
  const scrubSecrets = [...opts.secrets, ...target.secrets];
  const t = opts.timeoutMs;
  const transport = createTransport({
    host: target.host,
    ...(target.port !== undefined ? { port: target.port } : {}),
    // smtps: TLS from the first byte, certificate checked. smtp: STARTTLS whenever the server offers it.
    secure: target.secure,
    ...(target.auth ? { auth: target.auth } : {}),
    connectionTimeout: t ?? 5_000,
    greetingTimeout: t ?? 5_000,
    socketTimeout: t ?? 10_000,
    // Nothing to attach: never let message fields read files or fetch URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
    debug: false,
  });

  return {
    async send(report) {
      const hash = sha256(report.key);
      try {
        await transport.sendMail({
          from: opts.from,
          to: opts.adminEmail,
          subject: oneLine(redactForMail(report.subject, scrubSecrets), MAX_SUBJECT_CHARS),
          text: redactForMail(body(report), scrubSecrets),
          messageId: reportMessageId(report.key),
          headers: {
            'X-Shepherd-Report': hash,
            // RFC 3834: no vacation replies to a bot.
            'Auto-Submitted': 'auto-generated',
          },
        });
      } catch (err) {
        throw toAdminMailError(err, scrubSecrets);
      }
    },
  };
}

// A fresh error without `cause`: nodemailer's error objects are not ours to vouch for, and
// Temporal would serialise the whole cause chain into the workflow's history.
function toAdminMailError(err: unknown, secrets: readonly string[]): AdminMailError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { message?: unknown; code?: unknown; responseCode?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  return new AdminMailError(
    `sending the admin report failed: ${redactForMail(message, secrets)}`,
    typeof e.code === 'string' ? e.code : undefined,
    typeof e.responseCode === 'number' ? e.responseCode : undefined,
  );
}
