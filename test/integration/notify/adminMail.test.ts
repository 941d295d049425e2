// The admin mailer against a real SMTP server on loopback: what arrives (headers and body, parsed
// by mailparser and as raw bytes), AUTH from the URL's userinfo, scrubbing of secrets and token
// lookalikes, a stable Message-ID per report key, and errors (rejection, server down, server
// silent, bad URL) that never carry the SMTP password.
import { createHash } from 'node:crypto';
import net from 'node:net';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { AdminMailError, createAdminMailer, type AdminReport } from '../../../src/notify/adminMail';

interface Received {
  raw: Buffer;
  mailFrom: string;
  rcptTo: string[];
  /** Who logged in with AUTH, if anyone. */
  user?: string;
}

interface Smtp {
  port: number;
  received: Received[];
  auths: { username?: string; password?: string | null }[];
  close(): Promise<void>;
}

const ADMIN = 'admin@example.com';
const FROM = 'Shepherd <shepherd@example.com>';
const SMTP_USER = 'mailer@example.com';
// Characters that must be percent-encoded in the URL: the mailer has to decode them for AUTH.
const SMTP_PASS = 'p@ss:w0rd/Zq9-smtp';
const SMTP_PASS_IN_URL = encodeURIComponent(SMTP_PASS);

const servers: Smtp[] = [];

/**
 * A loopback SMTP server. STARTTLS is not offered (its built-in certificate is expired, and the
 * test is not about TLS), so the client stays in plain text without any switch in the mailer.
 */
async function startSmtp(opts: { login?: { user: string; pass: string }; rejectRcpt?: number } = {}): Promise<Smtp> {
  const received: Received[] = [];
  const auths: Smtp['auths'] = [];
  const options: SMTPServerOptions = {
    logger: false,
    disabledCommands: opts.login ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !opts.login,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      auths.push({ username: auth.username, password: auth.password });
      if (opts.login && auth.username === opts.login.user && auth.password === opts.login.pass) {
        callback(null, { user: auth.username });
      } else {
        callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      }
    },
    onRcptTo(_address, _session, callback) {
      if (opts.rejectRcpt) {
        callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: opts.rejectRcpt }));
      } else {
        callback();
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const { mailFrom, rcptTo } = session.envelope;
        received.push({
          raw: Buffer.concat(chunks),
          mailFrom: mailFrom ? mailFrom.address : '',
          rcptTo: rcptTo.map((r) => r.address),
          ...(typeof session.user === 'string' ? { user: session.user } : {}),
        });
        callback();
      });
    },
  };
  const server = new SMTPServer(options);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const smtp: Smtp = {
    port: (server.server.address() as net.AddressInfo).port,
    received,
    auths,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  servers.push(smtp);
  return smtp;
}

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

function report(over: Partial<AdminReport> = {}): AdminReport {
  return {
    subject: 'Backport of group/app!42 to release-1.2 failed',
    project: 'group/app',
    iid: 42,
    mergeRequestUrl: 'https://gitlab.example.com/group/app/-/merge_requests/42',
    what: 'backport to release-1.2',
    error: 'GitLab answered 403 Forbidden: the bot may not push to release-1.2',
    key: 'backport:gitlab:group/app:42:release-1.2/open-mr',
    ...over,
  };
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  return list.flatMap((a) => a.value.map((v) => v.address ?? ''));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A port on loopback that nothing listens on (taken, then freed). */
async function deadPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function sendError(p: Promise<void>): Promise<AdminMailError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AdminMailError);
    return err as AdminMailError;
  }
  throw new Error('send succeeded but was expected to fail');
}

function expectNoPassword(err: Error): void {
  for (const text of [err.message, err.stack ?? '', JSON.stringify(err)]) {
    expect(text).not.toContain(SMTP_PASS);
    expect(text).not.toContain(SMTP_PASS_IN_URL);
  }
}

test('a report arrives with its from, to, subject, body, Message-ID and report header', async () => {
  const smtp = await startSmtp();
  const mailer = createAdminMailer({ smtpUrl: `smtp://127.0.0.1:${smtp.port}`, adminEmail: ADMIN, from: FROM, secrets: [] });
  const r = report();
  await mailer.send(r);

  expect(smtp.received).toHaveLength(1);
  const [got] = smtp.received;
  expect(got.mailFrom).toBe('shepherd@example.com');
  expect(got.rcptTo).toEqual([ADMIN]);

  const mail = await simpleParser(got.raw);
  expect(addresses(mail.from)).toEqual(['shepherd@example.com']);
  expect(mail.from?.value[0].name).toBe('Shepherd');
  expect(addresses(mail.to)).toEqual([ADMIN]);
  expect(mail.subject).toBe(r.subject);
  expect(mail.messageId).toBe(`<${sha256(r.key).slice(0, 32)}@shepherd>`);
  expect(mail.headers.get('x-shepherd-report')).toBe(sha256(r.key));
  expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
  expect(mail.html).toBe(false);

  const text = mail.text ?? '';
  expect(text).toContain('backport to release-1.2');
  expect(text).toContain('group/app');
  expect(text).toContain('!42 https://gitlab.example.com/group/app/-/merge_requests/42');
  expect(text).toContain('GitLab answered 403 Forbidden: the bot may not push to release-1.2');
  expect(text).toMatch(/not the merge request's fault/);
  expect(text).toMatch(/retries/);
  expect(text).toMatch(/credentials/);
  expect(text).toMatch(/permissions/);
});

test('a merge request without a URL is named by its iid', async () => {
  const smtp = await startSmtp();
  const mailer = createAdminMailer({ smtpUrl: `smtp://127.0.0.1:${smtp.port}`, adminEmail: ADMIN, from: FROM, secrets: [] });
  const { mergeRequestUrl: _unused, ...withoutUrl } = report({ key: 'no-url' });
  await mailer.send(withoutUrl);
  const mail = await simpleParser(smtp.received[0].raw);
  expect(mail.text).toMatch(/^Merge request: +!42$/m);
});

test('AUTH uses the user and the decoded password of the URL, and the server accepts them', async () => {
  const smtp = await startSmtp({ login: { user: SMTP_USER, pass: SMTP_PASS } });
  const mailer = createAdminMailer({
    smtpUrl: `smtp://${encodeURIComponent(SMTP_USER)}:${SMTP_PASS_IN_URL}@127.0.0.1:${smtp.port}`,
    adminEmail: ADMIN,
    from: FROM,
    secrets: [],
  });
  await mailer.send(report());

  expect(smtp.auths).toEqual([{ username: SMTP_USER, password: SMTP_PASS }]);
  expect(smtp.received).toHaveLength(1);
  expect(smtp.received[0].user).toBe(SMTP_USER);
  const raw = smtp.received[0].raw.toString('latin1');
  expect(raw).not.toContain(SMTP_PASS);
  expect(raw).not.toContain(SMTP_PASS_IN_URL);
});

test('secrets and token lookalikes never reach the message, in the headers or the body', async () => {
  const smtp = await startSmtp({ login: { user: SMTP_USER, pass: SMTP_PASS } });
  const webhookSecret = 'whsec-Kf83jdq0aZ';
  const storageKey = 'AKIAEXAMPLEKEY12345/with+slash';
  const glpat = 'glpat-AbCdEf1234567890xYzW';
  const oauthToken = 'ya29TOKEN-in-the-clone-url';
  const bearer = 'eyJhbGciOiJIUzI1NiJ9.payload.signature';
  const privateToken = 'PrivTok-998877665544';
  const basicUserPass = 'hunter2hunter2';
  const ghToken = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
  const error = [
    `fatal: unable to access 'https://oauth2:${oauthToken}@gitlab.example.com/group/app.git/': 403`,
    `remote: token ${glpat} was revoked`,
    `> GET /api/v4/projects/1 HTTP/1.1`,
    `> Authorization: Bearer ${bearer}`,
    `> PRIVATE-TOKEN: ${privateToken}`,
    `> {"authorization":"token ${ghToken}"}`,
    `webhook secret ${webhookSecret} mismatch; s3 key ${storageKey} (in a URL: ${encodeURIComponent(storageKey)})`,
    `mirror https://deploy:${basicUserPass}@mirror.example.com/x failed`,
    `smtp said: smtp://${SMTP_USER}:${SMTP_PASS_IN_URL}@127.0.0.1 and ${SMTP_PASS}`,
    'MARKER-visible-in-raw',
  ].join('\n');
  const mailer = createAdminMailer({
    smtpUrl: `smtp://${encodeURIComponent(SMTP_USER)}:${SMTP_PASS_IN_URL}@127.0.0.1:${smtp.port}`,
    adminEmail: ADMIN,
    from: FROM,
    secrets: [webhookSecret, storageKey],
  });
  await mailer.send(
    report({
      subject: `Push failed with ${glpat} for ${webhookSecret}`,
      mergeRequestUrl: `https://oauth2:${oauthToken}@gitlab.example.com/group/app/-/merge_requests/42`,
      error,
    }),
  );

  const { raw } = smtp.received[0];
  const rawText = raw.toString('latin1');
  // The raw check means something only while the body is readable as is (not base64).
  expect(rawText).toContain('MARKER-visible-in-raw');
  const mail = await simpleParser(raw);
  const decoded = `${mail.subject ?? ''}\n${mail.text ?? ''}`;
  const forbidden = [
    webhookSecret,
    storageKey,
    encodeURIComponent(storageKey),
    glpat,
    oauthToken,
    bearer,
    privateToken,
    ghToken,
    basicUserPass,
    SMTP_PASS,
    SMTP_PASS_IN_URL,
  ];
  for (const secret of forbidden) {
    expect(raw.includes(Buffer.from(secret))).toBe(false);
    expect(decoded).not.toContain(secret);
  }

  expect(mail.subject).toBe('Push failed with [redacted] for [redacted]');
  const text = mail.text ?? '';
  expect(text).toContain("https://[redacted]@gitlab.example.com/group/app.git/': 403");
  expect(text).toContain('!42 https://[redacted]@gitlab.example.com/group/app/-/merge_requests/42');
  expect(text).toContain('Authorization: Bearer [redacted]');
  expect(text).toContain('PRIVATE-TOKEN: [redacted]');
  expect(text).toContain('webhook secret [redacted] mismatch');
  // What is not a credential stays, so the admin can still read what happened.
  expect(text).toContain('GET /api/v4/projects/1 HTTP/1.1');
  expect(text).toContain('mirror.example.com/x failed');
});

test('the same key gives the same Message-ID on every send, another key another one', async () => {
  const smtp = await startSmtp();
  const mailer = createAdminMailer({ smtpUrl: `smtp://127.0.0.1:${smtp.port}`, adminEmail: ADMIN, from: FROM, secrets: [] });
  await mailer.send(report({ key: 'wf-1/step-a' }));
  await mailer.send(report({ key: 'wf-1/step-a', error: 'still failing on the retry' }));
  await mailer.send(report({ key: 'wf-1/step-b' }));

  const ids = await Promise.all(smtp.received.map(async (r) => (await simpleParser(r.raw)).messageId));
  expect(ids[0]).toMatch(/^<[0-9a-f]{32}@shepherd>$/);
  expect(ids[1]).toBe(ids[0]);
  expect(ids[2]).not.toBe(ids[0]);
});

test('a server that rejects the recipient gives an error with its reply code and without the password', async () => {
  const smtp = await startSmtp({ login: { user: SMTP_USER, pass: SMTP_PASS }, rejectRcpt: 550 });
  const mailer = createAdminMailer({
    smtpUrl: `smtp://${encodeURIComponent(SMTP_USER)}:${SMTP_PASS_IN_URL}@127.0.0.1:${smtp.port}`,
    adminEmail: ADMIN,
    from: FROM,
    secrets: [],
  });
  const err = await sendError(mailer.send(report()));
  expect(err.responseCode).toBe(550);
  expect(err.message).toMatch(/550/);
  expectNoPassword(err);
  expect(smtp.received).toHaveLength(0);
});

test('a wrong password gives an authentication error that does not hold the password tried', async () => {
  const smtp = await startSmtp({ login: { user: SMTP_USER, pass: 'the-right-one' } });
  const mailer = createAdminMailer({
    smtpUrl: `smtp://${encodeURIComponent(SMTP_USER)}:${SMTP_PASS_IN_URL}@127.0.0.1:${smtp.port}`,
    adminEmail: ADMIN,
    from: FROM,
    secrets: [],
  });
  const err = await sendError(mailer.send(report()));
  expect(err.code).toBe('EAUTH');
  expect(err.responseCode).toBe(535);
  expectNoPassword(err);
});

test('a server that is down gives a connection error without the password or the URL', async () => {
  const port = await deadPort();
  const smtpUrl = `smtp://${encodeURIComponent(SMTP_USER)}:${SMTP_PASS_IN_URL}@127.0.0.1:${port}`;
  const mailer = createAdminMailer({ smtpUrl, adminEmail: ADMIN, from: FROM, secrets: [] });
  const err = await sendError(mailer.send(report()));
  expect(err.code).toBe('ESOCKET');
  expect(err.message).toMatch(/ECONNREFUSED/);
  expect(err.message).not.toContain(smtpUrl);
  expectNoPassword(err);
});

test('a server that accepts the connection but never greets fails within the bound', async () => {
  const silent = net.createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
  const { port } = silent.address() as net.AddressInfo;
  try {
    const mailer = createAdminMailer({
      smtpUrl: `smtp://${encodeURIComponent(SMTP_USER)}:${SMTP_PASS_IN_URL}@127.0.0.1:${port}`,
      adminEmail: ADMIN,
      from: FROM,
      secrets: [],
      timeoutMs: 300,
    });
    const started = Date.now();
    const err = await sendError(mailer.send(report()));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err.code).toBe('ETIMEDOUT');
    expectNoPassword(err);
  } finally {
    silent.close();
  }
});

test('smtps:// speaks TLS from the first byte: it does not fall back to plain text', async () => {
  const smtp = await startSmtp();
  const mailer = createAdminMailer({
    smtpUrl: `smtps://${encodeURIComponent(SMTP_USER)}:${SMTP_PASS_IN_URL}@127.0.0.1:${smtp.port}`,
    adminEmail: ADMIN,
    from: FROM,
    secrets: [],
    timeoutMs: 2_000,
  });
  const err = await sendError(mailer.send(report()));
  // The client's TLS handshake met the server's plain-text greeting.
  expect(err.message).toMatch(/ssl|tls|wrong version/i);
  expectNoPassword(err);
  expect(smtp.received).toHaveLength(0);
});

test('a bad smtp URL is refused at creation without echoing the URL', () => {
  const bad = [`smtp://${SMTP_USER}:${SMTP_PASS_IN_URL}@bad host:25`, `http://u:${SMTP_PASS_IN_URL}@example.com`];
  for (const smtpUrl of bad) {
    let thrown: unknown;
    try {
      createAdminMailer({ smtpUrl, adminEmail: ADMIN, from: FROM, secrets: [] });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AdminMailError);
    expectNoPassword(thrown as Error);
  }
  expect(() =>
    createAdminMailer({ smtpUrl: 'smtp://127.0.0.1:25?tls.rejectUnauthorized=false', adminEmail: ADMIN, from: FROM, secrets: [] }),
  ).toThrow(/query string/);
});
