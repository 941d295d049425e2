import { generateKeyPairSync } from 'node:crypto';
// Git over SSH, like GitLab's gitlab-shell: one ssh2 server on loopback, user `git`, public keys
// only; the key identifies the GitLab user. `git-upload-pack '<path>.git'` and
// `git-receive-pack '<path>.git'` run the real git on the bare repository, with the same access
// rules, pre-receive checks (protected branches, push rule) and post-push handling (MR heads,
// pipelines, hooks) as smart HTTP.
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { Server, utils, type Connection, type ParsedKey, type ServerChannel } from 'ssh2';
import type { Core } from './core';
import { gitEnv } from './git';
import { mayPushSomething, newPushLogPath, pushHookEnv, readPushLog } from './smartHttp';
import type { UserRec } from './store';
import { ACCESS_LEVEL } from './types';

// git sends `git-upload-pack '/group/app.git'` for ssh:// URLs and `git-upload-pack 'group/app.git'`
// for scp-like ones; accept both, quoted or not, with or without `.git`.
const COMMAND = /^(git-upload-pack|git-receive-pack|git upload-pack|git receive-pack)\s+'?\/?([^']+?)(?:\.git)?\/?'?\s*$/;

const NOT_FOUND = "GitLab: The project you were looking for could not be found or you don't have permission to view it.";

interface KnownKey {
  username: string;
  key: ParsedKey;
}

export class FakeSshServer {
  private readonly keys: KnownKey[] = [];
  private readonly connections = new Set<Connection>();

  private constructor(
    private readonly core: Core,
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(core: Core): Promise<FakeSshServer> {
    // An ECDSA host key in PEM from node's own crypto: ssh2's generated OpenSSH keys sometimes
    // failed to parse back under jest ("Malformed OpenSSH private key").
    const hostKey = {
      private: generateKeyPairSync('ec', {
        namedCurve: 'prime256v1',
        privateKeyEncoding: { type: 'sec1', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      }).privateKey,
    };
    // The instance is created after listen (it needs the port); connections arrive later.
    const ref: { self?: FakeSshServer } = {};
    const server = new Server({ hostKeys: [hostKey.private] }, (client) => ref.self?.onConnection(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    ref.self = new FakeSshServer(core, server, port);
    return ref.self;
  }

  /** Registers an OpenSSH public key line (`ssh-ed25519 AAAA... comment`) for a user. */
  addKey(username: string, publicKeyText: string): void {
    if (!this.core.store.userByUsername(username)) throw new Error(`unknown user ${username}`);
    const parsed = utils.parseKey(publicKeyText.trim());
    if (parsed instanceof Error) throw new Error(`not an SSH public key: ${parsed.message}`);
    const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed;
    this.keys.push({ username, key });
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.end();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private findKey(algo: string, data: Buffer): KnownKey | undefined {
    return this.keys.find((k) => k.key.type === algo && k.key.getPublicSSH().equals(data));
  }

  private onConnection(client: Connection): void {
    this.connections.add(client);
    let user: UserRec | undefined;
    client.on('close', () => this.connections.delete(client));
    client.on('error', () => undefined); // a client going away mid-handshake is not our problem
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      const known = this.findKey(ctx.key.algo, ctx.key.data);
      if (!known) return ctx.reject(['publickey']);
      // Without a signature the client only asks whether this key would do.
      if (ctx.signature && ctx.blob && known.key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
        return ctx.reject(['publickey']);
      }
      if (ctx.signature) user = this.core.store.userByUsername(known.username);
      if (ctx.signature && !user) return ctx.reject(['publickey']);
      ctx.accept();
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        const env: Record<string, string> = {};
        session.on('env', (accept, _reject, info) => {
          // git asks for protocol v2 through GIT_PROTOCOL (ssh -o SendEnv=GIT_PROTOCOL).
          if (info.key === 'GIT_PROTOCOL') env.GIT_PROTOCOL = info.val;
          accept?.();
        });
        session.on('pty', (_accept, reject) => reject?.());
        session.on('shell', (accept) => {
          const stream = accept();
          stream.stderr.write(`Welcome to GitLab, @${user?.username ?? 'unknown'}!\n`);
          stream.exit(0);
          stream.end();
        });
        session.on('exec', (accept, _reject, info) => {
          const stream = accept();
          if (!user) return finish(stream, 1, 'GitLab: Access denied.');
          this.exec(stream, user, info.command, env).catch((e: unknown) => {
            this.core.log(`fake gitlab: ssh exec failed: ${e instanceof Error ? e.message : String(e)}`);
            finish(stream, 1, 'GitLab: internal error');
          });
        });
      });
    });
  }

  private async exec(stream: ServerChannel, user: UserRec, command: string, extraEnv: Record<string, string>) {
    const m = COMMAND.exec(command.trim());
    if (!m) return finish(stream, 1, 'GitLab: Disallowed command');
    const service = m[1].replace(' ', '-');
    const pushing = service === 'git-receive-pack';
    const p = this.core.store.projectByPath(m[2]);
    const level = p ? this.core.accessLevel(p, user) : 0;
    if (!p || level < ACCESS_LEVEL.guest) return finish(stream, 1, NOT_FOUND);
    if (level < ACCESS_LEVEL.reporter) return finish(stream, 1, 'GitLab: You are not allowed to download code from this project.');
    if (pushing && !mayPushSomething(this.core, p, user)) {
      return finish(stream, 1, 'GitLab: You are not allowed to push code to this project.');
    }

    const pushLog = pushing ? newPushLogPath() : '';
    const env = gitEnv({
      ...extraEnv,
      GL_USERNAME: user.username,
      ...(pushing ? pushHookEnv(this.core, p, user, pushLog) : {}),
    });
    const child = spawn('git', [service.slice('git-'.length), p.repoDir], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => undefined); // git may exit before reading everything
    stream.pipe(child.stdin);
    child.stdout.pipe(stream, { end: false });
    child.stderr.pipe(stream.stderr, { end: false });
    const code = await new Promise<number>((resolve) => {
      child.on('error', () => resolve(128));
      child.on('close', (c) => resolve(c ?? 128));
    });
    if (pushing) {
      // React before the exit status, so when `git push` returns the MR head and pipeline exist.
      const changes = readPushLog(pushLog);
      if (changes.length > 0) await this.core.withLock(p, () => this.core.applyRefChanges(p, changes, user));
    }
    await flushed(stream);
    finish(stream, code);
  }
}

/** Waits until output buffered for lack of SSH window has been sent, so exit-status comes last. */
async function flushed(stream: ServerChannel): Promise<void> {
  for (const s of [stream, stream.stderr]) {
    if (s.writableLength > 0 && !s.destroyed) {
      await new Promise<void>((resolve) => {
        s.once('drain', resolve);
        s.once('close', resolve);
      });
    }
  }
}

function finish(stream: ServerChannel, code: number, message?: string): void {
  if (message) stream.stderr.write(`${message}\n`);
  stream.exit(code);
  stream.end();
}
