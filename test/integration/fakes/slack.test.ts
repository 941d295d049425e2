// The fake Slack through the real client, @slack/web-api 8.2, as the evidence report will use it.
import { ErrorCode, LogLevel, WebClient, type WebAPIPlatformError, type WebAPIRateLimitedError } from '@slack/web-api';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack';

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected the call to fail');
}

describe('fake Slack through @slack/web-api', () => {
  let slack: FakeSlack;
  let client: WebClient;
  // retries: 0, or the default policy keeps retrying for about 30 minutes.
  const webClient = (token: string | undefined, extra: { rejectRateLimitedCalls?: boolean } = {}) =>
    new WebClient(token, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR, ...extra });

  beforeEach(async () => {
    slack = await startFakeSlack();
    client = webClient(slack.token);
  });

  afterEach(() => slack.stop());

  it('records chat.postMessage to a known channel by name and answers like Slack', async () => {
    const res = await client.chat.postMessage({
      channel: '#events',
      text: 'Evidences for 2024_05 uploaded',
      username: 'Evidence bot',
      icon_emoji: ':package:',
    });
    expect(res).toMatchObject({
      ok: true,
      channel: 'C0EVENTS001',
      ts: expect.stringMatching(/^\d+\.\d{6}$/),
      message: {
        type: 'message',
        subtype: 'bot_message',
        text: 'Evidences for 2024_05 uploaded',
        username: 'Evidence bot',
        bot_id: 'B0FAKEBOT1',
      },
    });
    expect(slack.messages()).toEqual([
      expect.objectContaining({
        channel: 'C0EVENTS001',
        channelName: 'events',
        ts: res.ts,
        text: 'Evidences for 2024_05 uploaded',
        username: 'Evidence bot',
        icon_emoji: ':package:',
        token: slack.token,
      }),
    ]);
    // What the client sent: form-encoded, token in the Authorization header.
    expect(slack.controls.requests()).toEqual([
      expect.objectContaining({
        apiMethod: 'chat.postMessage',
        contentType: 'application/x-www-form-urlencoded',
        tokenFrom: 'header',
        httpStatus: 200,
        ok: true,
      }),
    ]);

    // Channel ids work too, and blocks arrive as JSON.
    await client.chat.postMessage({ channel: 'C0URGENT001', text: 'fallback', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*missing*' } }] });
    expect(slack.messages()[1]).toMatchObject({ channelName: 'urgent', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*missing*' } }] });

    const who = await client.auth.test();
    expect(who).toMatchObject({ ok: true, team_id: 'T0FAKE0001', user_id: 'U0FAKEBOT1', bot_id: 'B0FAKEBOT1' });
  });

  it('an unknown channel makes the client throw a platform error channel_not_found', async () => {
    const err = await rejection(client.chat.postMessage({ channel: '#nope', text: 'hi' }));
    expect(err.code).toBe(ErrorCode.PlatformError);
    expect((err as WebAPIPlatformError).data).toMatchObject({ ok: false, error: 'channel_not_found' });
    expect(slack.messages()).toHaveLength(0);
    expect(slack.controls.requests()[0]).toMatchObject({ httpStatus: 200, ok: false, error: 'channel_not_found' });

    const noText = await rejection(client.chat.postMessage({ channel: '#events', text: '' }));
    expect((noText as WebAPIPlatformError).data.error).toBe('no_text');
  });

  it('a bad token gets invalid_auth, no token not_authed', async () => {
    const bad = webClient('xoxb-wrong');
    const err = await rejection(bad.chat.postMessage({ channel: '#events', text: 'hi' }));
    expect((err as WebAPIPlatformError).data.error).toBe('invalid_auth');

    const anonymous = webClient(undefined);
    const err2 = await rejection(anonymous.auth.test());
    expect((err2 as WebAPIPlatformError).data.error).toBe('not_authed');

    slack.controls.revokeToken(slack.token);
    const err3 = await rejection(client.auth.test());
    expect((err3 as WebAPIPlatformError).data.error).toBe('token_revoked');
  });

  it('surfaces HTTP 429 with Retry-After', async () => {
    slack.controls.rateLimitNext(1, 7, 'chat.postMessage');
    const strict = webClient(slack.token, { rejectRateLimitedCalls: true });
    const err = await rejection(strict.chat.postMessage({ channel: '#events', text: 'hi' }));
    expect(err.code).toBe(ErrorCode.RateLimitedError);
    expect((err as WebAPIRateLimitedError).retryAfter).toBe(7);
    expect(slack.controls.requests()[0]).toMatchObject({ httpStatus: 429, error: 'ratelimited' });

    // Without rejectRateLimitedCalls the client waits Retry-After, then (retries: 0) gives up.
    slack.controls.rateLimitNext(1, 0);
    const waited = await rejection(client.chat.postMessage({ channel: '#events', text: 'hi' }));
    expect(waited.message).toContain('retry-after: 0');
    expect(slack.messages()).toHaveLength(0);

    // The next call goes through.
    await expect(client.chat.postMessage({ channel: '#events', text: 'hi' })).resolves.toMatchObject({ ok: true });
  });

  it('injects Slack errors and HTTP failures, and accepts JSON bodies with a bearer token', async () => {
    slack.controls.failNext(1, { error: 'internal_error' });
    const e1 = await rejection(client.chat.postMessage({ channel: '#events', text: 'hi' }));
    expect((e1 as WebAPIPlatformError).data.error).toBe('internal_error');

    slack.controls.failNext(1, { httpStatus: 503 });
    const e2 = await rejection(client.chat.postMessage({ channel: '#events', text: 'hi' }));
    expect(e2.code).toBe(ErrorCode.HTTPError);

    const json = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${slack.token}` },
      body: JSON.stringify({ channel: '#urgent', text: 'raw json' }),
    });
    expect(await json.json()).toMatchObject({ ok: true, channel: 'C0URGENT001' });

    // A token inside a JSON body is not accepted.
    const tokenInBody = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: slack.token, channel: '#urgent', text: 'x' }),
    });
    expect(await tokenInBody.json()).toEqual({ ok: false, error: 'not_authed' });

    slack.controls.addChannel({ id: 'C0PRIVATE01', name: 'private', isMember: false });
    const e3 = await rejection(client.chat.postMessage({ channel: '#private', text: 'hi' }));
    expect((e3 as WebAPIPlatformError).data.error).toBe('not_in_channel');
  });
});
