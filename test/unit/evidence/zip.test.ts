import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeZip } from '../../../src/evidence/zip';

const ZIP_MODULE = path.resolve(__dirname, '../../../src/evidence/zip');
const HAS_UNZIP = spawnSync('unzip', ['-v']).status === 0;

let dir: string;
let files: Array<{ name: string; path: string }>;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shepherd-zip-'));
  const write = (file: string, text: string): string => {
    const full = path.join(dir, file);
    fs.writeFileSync(full, text);
    return full;
  };
  // Given out of order, with a large, compressible file and non-ASCII text.
  files = [
    { name: 'github_owner_web.txt', path: write('web.txt', 'Evidence of Núria\n'.repeat(2000)) },
    { name: 'bitbucket_team_api.txt', path: write('api.txt', 'Evidence of Ana García\nline 2\n') },
    { name: 'gitlab_group_app.txt', path: write('app.txt', '') },
  ];
  // Different disk times and modes must not show in the zip.
  fs.utimesSync(files[0]?.path ?? '', new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
  fs.chmodSync(files[1]?.path ?? '', 0o600);
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function sha256Of(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Entry names in central-directory order, read from the zip's own bytes. */
function entryNames(file: string): string[] {
  const bytes = fs.readFileSync(file);
  const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = bytes.readUInt16LE(end + 10);
  let at = bytes.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const nameLength = bytes.readUInt16LE(at + 28);
    const extra = bytes.readUInt16LE(at + 30);
    const comment = bytes.readUInt16LE(at + 32);
    names.push(bytes.subarray(at + 46, at + 46 + nameLength).toString('utf8'));
    at += 46 + nameLength + extra + comment;
  }
  return names;
}

describe('writeZip', () => {
  it('writes entries sorted by name, compressed, and reports the size and checksum of the bytes', async () => {
    const out = path.join(dir, 'ana.zip');
    const result = await writeZip(files, out);
    expect(result).toEqual({ bytes: fs.statSync(out).size, sha256: sha256Of(out) });
    expect(entryNames(out)).toEqual(['bitbucket_team_api.txt', 'github_owner_web.txt', 'gitlab_group_app.txt']);
    expect(result.bytes).toBeLessThan(2000); // 36 kB of repeated lines deflate to little
    // Nothing left beside it: the temporary file was renamed into place.
    expect(fs.readdirSync(dir).filter((name) => name.includes('ana.zip'))).toEqual(['ana.zip']);
  });

  (HAS_UNZIP ? it : it.skip)('is readable by unzip, with the contents, a 1980-01-01 00:00 time and rw-r--r--', async () => {
    const out = path.join(dir, 'ana.zip');
    await writeZip(files, out);
    expect(execFileSync('unzip', ['-p', out, 'bitbucket_team_api.txt']).toString('utf8')).toBe('Evidence of Ana García\nline 2\n');
    expect(execFileSync('unzip', ['-p', out, 'github_owner_web.txt']).toString('utf8')).toBe('Evidence of Núria\n'.repeat(2000));
    expect(execFileSync('unzip', ['-tq', out]).toString('utf8')).toContain('No errors detected');
    const listing = execFileSync('zipinfo', ['-T', out]).toString('utf8');
    for (const name of ['bitbucket_team_api.txt', 'github_owner_web.txt', 'gitlab_group_app.txt']) {
      expect(listing).toMatch(new RegExp(`-rw-r--r-- .* defN 19800101\\.000000 ${name.replace(/\./g, '\\.')}`));
    }
  });

  it('writes the same bytes twice, whatever the inputs order or the files on disk', async () => {
    const first = await writeZip(files, path.join(dir, 'one.zip'));
    fs.utimesSync(files[1]?.path ?? '', new Date(), new Date());
    const second = await writeZip([...files].reverse(), path.join(dir, 'two.zip'));
    expect(second).toEqual(first);
    expect(fs.readFileSync(path.join(dir, 'two.zip')).equals(fs.readFileSync(path.join(dir, 'one.zip')))).toBe(true);
  });

  it('writes the same bytes whatever time zone the process runs in', async () => {
    const here = await writeZip(files, path.join(dir, 'here.zip'));
    const script = path.join(dir, 'zip-in-child.ts');
    fs.writeFileSync(
      script,
      `import { writeZip } from ${JSON.stringify(ZIP_MODULE)};\n` +
        `writeZip(JSON.parse(process.argv[2] ?? '[]'), process.argv[3] ?? '').then((r) => process.stdout.write(JSON.stringify(r)));\n`,
    );
    for (const tz of ['Pacific/Kiritimati', 'America/Los_Angeles', 'Asia/Kathmandu']) {
      const out = path.join(dir, `${tz.replace('/', '-')}.zip`);
      const child = spawnSync(process.execPath, ['--import', 'tsx', script, JSON.stringify(files), out], { env: { ...process.env, TZ: tz }, encoding: 'utf8' });
      expect(child.stderr).toBe('');
      expect([tz, JSON.parse(child.stdout)]).toEqual([tz, here]);
    }
  });

  it('takes contents already in memory: the same entries and texts, and the same bytes each time', async () => {
    const inMemory = files.map((f) => ({ name: f.name, data: fs.readFileSync(f.path) }));
    const first = await writeZip(inMemory, path.join(dir, 'memory-1.zip'));
    const second = await writeZip([...inMemory].reverse(), path.join(dir, 'memory-2.zip'));
    expect(second).toEqual(first);
    expect(entryNames(path.join(dir, 'memory-1.zip'))).toEqual(['bitbucket_team_api.txt', 'github_owner_web.txt', 'gitlab_group_app.txt']);
    expect(first.bytes).toBeLessThan(2000);
    if (HAS_UNZIP) {
      expect(execFileSync('unzip', ['-p', path.join(dir, 'memory-1.zip'), 'github_owner_web.txt']).toString('utf8')).toBe('Evidence of Núria\n'.repeat(2000));
      expect(execFileSync('unzip', ['-tq', path.join(dir, 'memory-1.zip')]).toString('utf8')).toContain('No errors detected');
    }
  });

  it('fails without leaving a file when an input is missing, and keeps an older zip in place', async () => {
    const out = path.join(dir, 'ana.zip');
    fs.writeFileSync(out, 'previous month run');
    await expect(writeZip([...files, { name: 'z.txt', path: path.join(dir, 'missing.txt') }], out)).rejects.toThrow(/ENOENT/);
    expect(fs.readFileSync(out, 'utf8')).toBe('previous month run');
    expect(fs.readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses two files with the same name in one zip', async () => {
    const [web, api] = files;
    if (!web || !api) throw new Error('fixture missing');
    await expect(writeZip([web, { name: web.name, path: api.path }], path.join(dir, 'x.zip'))).rejects.toThrow('Two files would be "github_owner_web.txt"');
    expect(fs.existsSync(path.join(dir, 'x.zip'))).toBe(false);
  });
});
