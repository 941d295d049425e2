// A fake Slack Web API on loopback for tests: chat.postMessage, auth.test, conversations.list
// and conversations.history, answering like Slack does — HTTP 200 with { ok: false, error }
// for API errors, HTTP 429 + Retry-After for rate limits. Use it as
//
//   const slack = await startFakeSlack();
//   const client = new WebClient(slack.token, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
//
// Arguments arrive form-encoded (what @slack/web-api sends), as JSON (then the token must be in the
// Authorization header: Slack ignores a token inside a JSON body), or as a GET query string.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackChannelSeed {
  /** Channel id, e.g. C0123ABCDEF. */
  id: string;
  /** Name without '#', e.g. 'events'. */
  name: string;
  /** Whether the bot is a member; posting elsewhere fails with not_in_channel. Default true. */
  isMember?: boolean;
  isArchived?: boolean;
}

export interface SlackIdentity {
  team: string;
  teamId: string;
  user: string;
  userId: string;
  /** Present for bot tokens. */
  botId?: string;
}

export interface FakeSlackOptions {
  /** Valid tokens and who they are. Default: one bot token, 'xoxb-fake-token'. */
  tokens?: Record<string, Partial<SlackIdentity>>;
  /** Default: #events (C0EVENTS001) and #urgent (C0URGENT001). */
  channels?: SlackChannelSeed[];
  latencyMs?: number;
}

export interface SlackPostedMessage {
  channel: string;
  channelName: string;
  ts: string;
  text?: string;
  username?: string;
  icon_emoji?: string;
  icon_url?: string;
  thread_ts?: string;
  blocks?: unknown;
  attachments?: unknown;
  /** Message metadata (`{ event_type, event_payload }`), when the post carried some. */
  metadata?: unknown;
  /** Every argument as received (strings for form posts), without the token. */
  args: Record<string, unknown>;
  token: string;
}

export interface SlackRequestRecord {
  method: string;
  apiMethod: string;
  contentType: string;
  tokenFrom: 'header' | 'body' | 'query' | 'none';
  httpStatus: number;
  ok: boolean;
  error?: string;
  at: string;
}

/** An injected failure: a Slack error code (HTTP 200, ok:false), a rate limit, or a bare HTTP error. */
export type SlackFailure =
  | { error: string }
  | { rateLimited: { retryAfterSeconds: number } }
  | { httpStatus: number; body?: string };

export interface FakeSlackControls {
  addChannel(channel: SlackChannelSeed): void;
  addToken(token: string, identity?: Partial<SlackIdentity>): void;
  /** Later calls with this token fail with token_revoked. */
  revokeToken(token: string): void;
  /** The next `n` calls (of `apiMethod`, if given) fail as described. */
  failNext(n: number, failure: SlackFailure, apiMethod?: string): void;
  /** Shorthand: the next `n` calls get HTTP 429 with Retry-After. */
  rateLimitNext(n: number, retryAfterSeconds: number, apiMethod?: string): void;
  /**
   * The next `n` calls of `apiMethod` take effect, but their answer is lost (the connection is
   * cut before it), as when Slack posted a message and the network dropped the response.
   */
  loseAnswerNext(n: number, apiMethod: string): void;
  setLatency(ms: number): void;
  requests(): SlackRequestRecord[];
  clear(): void;
}

export interface FakeSlack {
  /** http://127.0.0.1:PORT/api/ — pass as `slackApiUrl`. */
  apiUrl: string;
  /** The first configured token. */
  token: string;
  messages(): SlackPostedMessage[];
  controls: FakeSlackControls;
  stop(): Promise<void>;
}

interface Rule {
  remaining: number;
  failure: SlackFailure;
  apiMethod?: string;
}

type Args = Record<string, unknown>;

const DEFAULT_CHANNELS: SlackChannelSeed[] = [
  { id: 'C0EVENTS001', name: 'events' },
  { id: 'C0URGENT001', name: 'urgent' },
];

// Bot tokens (xoxb-) identify a bot user and carry a bot_id; user tokens (xoxp-) do not.
function identityFor(token: string, partial: Partial<SlackIdentity> = {}): SlackIdentity {
  const id: SlackIdentity = {
    team: partial.team ?? 'Fake Workspace',
    teamId: partial.teamId ?? 'T0FAKE0001',
    user: partial.user ?? 'shepherd',
    userId: partial.userId ?? 'U0FAKEBOT1',
  };
  const botId = partial.botId ?? (token.startsWith('xoxb-') ? 'B0FAKEBOT1' : undefined);
  if (botId) id.botId = botId;
  return id;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Form posts carry blocks/attachments as JSON strings; keep the parsed value when it parses. */
function jsonish(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const tokens = new Map<string, SlackIdentity>();
  for (const [t, id] of Object.entries(opts.tokens ?? { 'xoxb-fake-token': {} })) tokens.set(t, identityFor(t, id));
  const revoked = new Set<string>();
  const channels: SlackChannelSeed[] = (opts.channels ?? DEFAULT_CHANNELS).map((c) => ({ ...c }));
  const posted: SlackPostedMessage[] = [];
  const log: SlackRequestRecord[] = [];
  const rules: Rule[] = [];
  const lostAnswers: Array<{ remaining: number; apiMethod: string }> = [];
  let latencyMs = opts.latencyMs ?? 0;
  let tsCounter = 0;

  // Message timestamps are "seconds.micro-ish" strings, unique per workspace.
  const nextTs = () => `${Math.floor(Date.now() / 1000)}.${String(++tsCounter).padStart(6, '0')}`;

  // chat.postMessage takes an id (C…) or a name (#events or events).
  const findChannel = (ref: string): SlackChannelSeed | undefined => {
    const name = ref.startsWith('#') ? ref.slice(1) : ref;
    return channels.find((c) => c.id === ref || c.name === name);
  };

  const takeRule = (apiMethod: string): SlackFailure | undefined => {
    const rule = rules.find((r) => r.remaining > 0 && (!r.apiMethod || r.apiMethod === apiMethod));
    if (!rule) return undefined;
    rule.remaining--;
    if (rule.remaining === 0) rules.splice(rules.indexOf(rule), 1);
    return rule.failure;
  };

  const methods: Record<string, (args: Args, who: SlackIdentity, token: string) => Args> = {
    'auth.test': (_args, who) => ({
      ok: true,
      url: `https://${who.team.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.slack.com/`,
      team: who.team,
      user: who.user,
      team_id: who.teamId,
      user_id: who.userId,
      ...(who.botId ? { bot_id: who.botId } : {}),
      is_enterprise_install: false,
    }),
    'chat.postMessage': (args, who, token) => {
      const ref = typeof args.channel === 'string' ? args.channel : '';
      const channel = ref ? findChannel(ref) : undefined;
      if (!channel) return { ok: false, error: 'channel_not_found' };
      if (channel.isArchived) return { ok: false, error: 'is_archived' };
      if (channel.isMember === false) return { ok: false, error: 'not_in_channel' };
      const text = typeof args.text === 'string' ? args.text : undefined;
      const blocks = jsonish(args.blocks);
      const attachments = jsonish(args.attachments);
      if (!text && blocks === undefined && attachments === undefined) return { ok: false, error: 'no_text' };
      const ts = nextTs();
      const str = (k: string) => (typeof args[k] === 'string' ? (args[k] as string) : undefined);
      const record: SlackPostedMessage = { channel: channel.id, channelName: channel.name, ts, args: { ...args }, token };
      if (text !== undefined) record.text = text;
      for (const k of ['username', 'icon_emoji', 'icon_url', 'thread_ts'] as const) {
        const v = str(k);
        if (v !== undefined) record[k] = v;
      }
      if (blocks !== undefined) record.blocks = blocks;
      if (attachments !== undefined) record.attachments = attachments;
      const metadata = jsonish(args.metadata);
      if (metadata !== undefined) record.metadata = metadata;
      posted.push(record);
      const message: Args = { type: 'message', text: text ?? '', user: who.userId, ts, team: who.teamId };
      if (who.botId) message.bot_id = who.botId;
      if (record.username) {
        message.username = record.username;
        message.subtype = 'bot_message';
      }
      if (record.icon_emoji || record.icon_url) {
        message.icons = record.icon_emoji ? { emoji: record.icon_emoji } : { image_48: record.icon_url };
      }
      if (blocks !== undefined) message.blocks = blocks;
      if (attachments !== undefined) message.attachments = attachments;
      if (record.thread_ts) message.thread_ts = record.thread_ts;
      return { ok: true, channel: channel.id, ts, message };
    },
    // Public and private channels the token can see, in one page (Slack pages with a cursor;
    // next_cursor is empty on the last page).
    'conversations.list': () => ({
      ok: true,
      channels: channels.map((c) => ({ id: c.id, name: c.name, is_channel: true, is_archived: c.isArchived ?? false, is_member: c.isMember ?? true })),
      response_metadata: { next_cursor: '' },
    }),
    // History wants the channel's id, not its name; newest first; metadata only on request.
    'conversations.history': (args) => {
      const channel = channels.find((c) => c.id === args.channel);
      if (!channel) return { ok: false, error: 'channel_not_found' };
      if (channel.isMember === false) return { ok: false, error: 'not_in_channel' };
      const oldest = Number(typeof args.oldest === 'string' ? args.oldest : '0');
      const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
      const messages = posted
        .filter((m) => m.channel === channel.id && Number(m.ts) > oldest)
        .reverse()
        .map((m) => ({ type: 'message', ts: m.ts, text: m.text ?? '', ...(withMetadata && m.metadata !== undefined ? { metadata: m.metadata } : {}) }));
      return { ok: true, messages, has_more: false, response_metadata: { next_cursor: '' } };
    },
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = await readBody(req);
      const apiMethod = url.pathname.replace(/^\/api\//, '').replace(/\/+$/, '');
      const contentType = (req.headers['content-type'] ?? '').toLowerCase();
      const record: SlackRequestRecord = {
        method: req.method ?? 'GET',
        apiMethod,
        contentType,
        tokenFrom: 'none',
        httpStatus: 200,
        ok: false,
        at: new Date().toISOString(),
      };
      log.push(record);
      const send = (status: number, payload: Args | string, headers: Record<string, string> = {}) => {
        record.httpStatus = status;
        const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
        if (typeof payload !== 'string') {
          record.ok = payload.ok === true;
          if (typeof payload.error === 'string') record.error = payload.error;
        }
        res.writeHead(status, {
          'Content-Type': typeof payload === 'string' ? 'text/plain' : 'application/json; charset=utf-8',
          'Content-Length': String(Buffer.byteLength(text)),
          ...headers,
        });
        res.end(text);
      };
      if (latencyMs > 0) await sleep(latencyMs);

      if (!url.pathname.startsWith('/api/')) return send(404, 'Not Found');
      const failure = takeRule(apiMethod);
      if (failure) {
        if ('rateLimited' in failure) {
          return send(429, { ok: false, error: 'ratelimited' }, { 'Retry-After': String(failure.rateLimited.retryAfterSeconds) });
        }
        if ('httpStatus' in failure) return send(failure.httpStatus, failure.body ?? http.STATUS_CODES[failure.httpStatus] ?? '');
        return send(200, { ok: false, error: failure.error });
      }

      // Arguments: query string, plus the body by its Content-Type.
      const args: Args = Object.fromEntries(url.searchParams);
      const warnings: string[] = [];
      let bodyToken: string | undefined;
      if (body.length > 0) {
        if (!contentType) return send(200, { ok: false, error: 'missing_post_type' });
        if (contentType.startsWith('application/x-www-form-urlencoded')) {
          for (const [k, v] of new URLSearchParams(body.toString('utf8'))) args[k] = v;
          bodyToken = typeof args.token === 'string' ? args.token : undefined;
        } else if (contentType.startsWith('application/json')) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(body.toString('utf8'));
          } catch {
            return send(200, { ok: false, error: 'invalid_json' });
          }
          if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return send(200, { ok: false, error: 'json_not_object' });
          Object.assign(args, parsed);
          // A token inside a JSON body does not authenticate: JSON needs the Authorization header.
          delete args.token;
          if (!/charset=/.test(contentType)) warnings.push('missing_charset');
        } else {
          return send(200, { ok: false, error: 'invalid_post_type' });
        }
      }
      const queryToken = url.searchParams.get('token') ?? undefined;
      const header = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      const token = header?.[1] ?? bodyToken ?? queryToken;
      record.tokenFrom = header ? 'header' : bodyToken ? 'body' : queryToken ? 'query' : 'none';
      delete args.token;

      const handler = methods[apiMethod];
      if (!handler) return send(200, { ok: false, error: 'unknown_method', req_method: apiMethod });
      if (!token) return send(200, { ok: false, error: 'not_authed' });
      if (revoked.has(token)) return send(200, { ok: false, error: 'token_revoked' });
      const who = tokens.get(token);
      if (!who) return send(200, { ok: false, error: 'invalid_auth' });
      const result = handler(args, who, token);
      const lost = lostAnswers.find((l) => l.remaining > 0 && l.apiMethod === apiMethod);
      if (lost) {
        lost.remaining--;
        record.httpStatus = 0;
        req.socket.destroy();
        return;
      }
      if (warnings.length > 0) {
        result.warning = warnings.join(',');
        result.response_metadata = { warnings };
      }
      return send(200, result);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const controls: FakeSlackControls = {
    addChannel: (c) => {
      channels.push({ ...c });
    },
    addToken: (t, id) => {
      tokens.set(t, identityFor(t, id));
    },
    revokeToken: (t) => {
      revoked.add(t);
    },
    failNext: (n, failure, apiMethod) => {
      rules.push({ remaining: n, failure, apiMethod });
    },
    rateLimitNext: (n, retryAfterSeconds, apiMethod) => {
      rules.push({ remaining: n, failure: { rateLimited: { retryAfterSeconds } }, apiMethod });
    },
    loseAnswerNext: (n, apiMethod) => {
      lostAnswers.push({ remaining: n, apiMethod });
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    requests: () => log.map((r) => ({ ...r })),
    clear: () => {
      log.length = 0;
      posted.length = 0;
    },
  };

  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    token: [...tokens.keys()][0] ?? '',
    messages: () => posted.map((m) => ({ ...m, args: { ...m.args } })),
    controls,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
