// Remote URLs may carry a token in their userinfo (http://oauth2:TOKEN@host/g/a.git). git would
// store such a URL in .git/config, where anyone who can read the cache (backups, other users of
// the host, a debugging session) finds the token, and show it in `ps` as an argument. So the URL
// git stores is stripped of credentials, and the credentials travel per command in the
// environment as an HTTP header (GIT_CONFIG_COUNT / GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n,
// git >= 2.31): the environment of a process is readable only by its user, and git writes
// neither it nor the header anywhere.
import { urlSecrets } from './redact';

/** How git reaches one remote. */
export interface RemoteAccess {
  /** The URL without credentials: what may be stored in .git/config and shown in messages. */
  url: string;
  /** Environment for each git command that talks to this remote (empty when there is nothing to send). */
  env: Record<string, string>;
  /** Literal strings that must never leave src/git (the token, its header form). */
  secrets: string[];
}

const SCHEME_USERINFO = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)@/i;
const SSH_SCHEMES = new Set(['ssh', 'git+ssh', 'ssh+git']);

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part; // not valid percent-encoding: git would send it as written too
  }
}

/**
 * Splits a remote URL into a credential-free URL and what git needs to authenticate. HTTP(S)
 * userinfo becomes `Authorization: Basic` (what git itself would send for it); SSH URLs keep their
 * login name (`ssh://git@host/...` names the account, not a secret) but lose any password; other
 * schemes (file://) just lose the userinfo, which git ignores for them anyway. scp-like SSH
 * addresses (git@host:group/app.git) and plain paths have no scheme and are kept as they are.
 */
export function remoteAccess(remoteUrl: string): RemoteAccess {
  const m = SCHEME_USERINFO.exec(remoteUrl);
  if (!m) return { url: remoteUrl, env: {}, secrets: [] };
  const [whole, scheme, userinfo] = m;
  const rest = remoteUrl.slice(whole.length);
  const secrets = urlSecrets(remoteUrl);
  const colon = userinfo.indexOf(':');
  const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
  const lower = scheme.toLowerCase();

  if (SSH_SCHEMES.has(lower)) {
    return { url: `${scheme}://${user ? `${user}@` : ''}${rest}`, env: {}, secrets: colon >= 0 ? secrets : [] };
  }
  const url = `${scheme}://${rest}`;
  if (lower !== 'http' && lower !== 'https') return { url, env: {}, secrets };

  const password = colon >= 0 ? userinfo.slice(colon + 1) : '';
  const basic = Buffer.from(`${decode(user)}:${decode(password)}`, 'utf8').toString('base64');
  return {
    url,
    env: gitConfigEnv([
      // An empty value first clears extra headers from the system or global config, so ours is
      // the only Authorization header git sends.
      ['http.extraHeader', ''],
      ['http.extraHeader', `Authorization: Basic ${basic}`],
    ]),
    secrets: [...secrets, basic].sort((a, b) => b.length - a.length),
  };
}

/** git configuration entries as environment variables (never on the command line). */
export function gitConfigEnv(entries: ReadonlyArray<readonly [string, string]>): Record<string, string> {
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(entries.length) };
  entries.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/**
 * Whether a git config file's text holds a URL with credentials (user:password@, or any userinfo
 * on http(s)): a clone written by an older Shepherd, or by hand. Such a clone is not reused.
 */
export function configHoldsCredentials(configText: string): boolean {
  return /:\/\/[^\s/?#@:]*:[^\s/?#]*@/.test(configText) || /\bhttps?:\/\/[^\s/?#]*@/i.test(configText);
}
