// `shepherd evidence --month 2026-10` end to end: the real command in its own process, against
// Temporal, with Bitbucket, GitHub and GitLab fakes behind the real clients, zips put into a real
// S3 server (s3rver), a fake Google Drive that already holds an old folder of that month, and a
// fake Slack. Run twice: the same objects, one month folder, one message per run.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFakeBitbucket, type FakeBitbucket } from '../fakes/bitbucket';
import { FOLDER_MIME, startFakeDrive, type FakeDrive } from '../fakes/drive';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github';
import { FakeGitLab, git } from '../fakes/gitlab';
import { startFakeSlack, type FakeSlack } from '../fakes/slack';
import { startS3rver } from '../helpers/s3rver';
import { devServerAddress, uniqueTaskQueue } from '../helpers/temporal';

jest.setTimeout(240_000);

const ROOT = path.join(__dirname, '..', '..');
const BUCKET = 'evidence-bucket';
let bb: FakeBitbucket;
let gh: FakeGitHub;
let gitlab: FakeGitLab;
let drive: FakeDrive;
let slack: FakeSlack;
let s3: Awaited<ReturnType<typeof startS3rver>>;
let work: string;
let parentFolder: string;
let oldFolder: string;
let env: NodeJS.ProcessEnv;

const day = (n: number, month = '10'): string => `2026-${month}-${String(n).padStart(2, '0')}T10:00:00+00:00`;

beforeAll(async () => {
  [bb, gh, drive, slack, s3] = await Promise.all([startFakeBitbucket(), startFakeGitHub(), startFakeDrive(), startFakeSlack(), startS3rver({ buckets: [BUCKET] })]);
  gitlab = await FakeGitLab.start({ log: () => undefined });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-e2e-'));

  // Bitbucket: Ana's work (one commit with Joan as co-author), a merge commit, a stranger's
  // commit, September's work that must not count, and a merged pull request Ana approved.
  bb.addRepo('team/api');
  const ana = { name: 'Ana García', email: 'ana@example.com', user: { displayName: 'Ana García', nickname: 'ana-bb' } };
  const [, fix, , typo] = bb.addCommits('team/api', [
    { date: day(29, '09'), message: 'September work', author: ana },
    { date: day(3), message: 'Fix the login form', author: { name: 'Joan Puig', email: 'JOAN@example.com' } },
    { date: day(10), message: 'Pair on the importer\n\nCo-authored-by: Joan Puig <joan@example.com>', author: ana },
    { date: day(12), message: 'Drive-by typo', author: { name: 'Stranger', email: 'stranger@example.org' } },
  ]);
  bb.addCommit('team/api', { date: day(13), message: 'Merge branch fix', author: ana, parents: [typo.sha, fix.sha] });
  bb.addPullRequest('team/api', { state: 'MERGED', commits: [fix.sha], updatedOn: day(4), participants: [{ user: ana.user, approved: true }] });

  // GitHub: Joan's commit on the web app.
  gh.addRepo('owner/web');
  gh.addCommit('owner/web', { message: 'Dark mode', author: { name: 'Joan', email: 'joan@example.com', date: day(20), login: 'joanp' } });

  // GitLab: one commit of Ana's with another email she is known by.
  gitlab.addUser({ username: 'maya', name: 'Maya Maintainer', email: 'maya@example.com' });
  gitlab.addProject('group/app', { members: { maya: 'maintainer' } });
  const dir = path.join(work, 'app');
  await git(['clone', '--quiet', gitlab.cloneUrl('group/app', 'maya'), dir]);
  await git(['commit', '--quiet', '--allow-empty', '-m', 'Release notes'], {
    cwd: dir,
    env: { GIT_AUTHOR_NAME: 'Ana', GIT_AUTHOR_EMAIL: 'ana.garcia@old.example.com', GIT_AUTHOR_DATE: day(15), GIT_COMMITTER_DATE: day(15) },
  });
  await git(['push', '--quiet', 'origin', 'main'], { cwd: dir });
  // ...and a merge request of hers that Joan (joanp on GitLab) approved before Maya merged it.
  gitlab.addUser({ username: 'joanp', name: 'Joan Puig', email: 'joan@example.com' });
  gitlab.setMember('group/app', 'joanp', 'developer');
  await git(['checkout', '--quiet', '-b', 'importer'], { cwd: dir });
  await git(['commit', '--quiet', '--allow-empty', '-m', 'Importer retries'], {
    cwd: dir,
    env: { GIT_AUTHOR_NAME: 'Ana', GIT_AUTHOR_EMAIL: 'ana.garcia@old.example.com', GIT_AUTHOR_DATE: day(16), GIT_COMMITTER_DATE: day(16) },
  });
  await git(['push', '--quiet', 'origin', 'importer'], { cwd: dir });
  const reviewed = gitlab.createMergeRequest('group/app', { sourceBranch: 'importer', title: 'Importer retries', author: 'maya' });
  gitlab.approve('group/app', reviewed.iid, 'joanp');
  await gitlab.merge('group/app', reviewed.iid, { by: 'maya', method: 'merge' });

  // Drive: the parent folder, and an earlier run's folder of October with a stale zip in it.
  parentFolder = drive.controls.seedFolder('Imputació d’hores').id as string;
  oldFolder = drive.controls.seedFolder('2026_10', parentFolder).id as string;
  drive.controls.seedFile('stale.zip', oldFolder, 'old bytes', 'application/zip');

  env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SHEPHERD_TEMPORAL_ADDRESS: devServerAddress(),
    SHEPHERD_TASK_QUEUE: uniqueTaskQueue('evidence-e2e'),
    SHEPHERD_DATA_DIR: path.join(work, 'data'),
    SHEPHERD_GITLAB_URL: gitlab.url,
    SHEPHERD_AUTH_TOKEN: gitlab.user('maya').token,
    SHEPHERD_EVIDENCE_REPOS: 'bitbucket:team/api github:owner/web gitlab:group/app bitbucket:team/gone',
    SHEPHERD_EVIDENCE_PEOPLE: 'Ana García <ana@example.com> ana.garcia@old.example.com ana-bb; Joan Puig <joan@example.com> joanp',
    SHEPHERD_BITBUCKET_URL: bb.url,
    SHEPHERD_BITBUCKET_TOKEN_URL: bb.tokenUrl,
    SHEPHERD_BITBUCKET_OAUTH_KEY: bb.consumer.key,
    SHEPHERD_BITBUCKET_OAUTH_SECRET: bb.consumer.secret,
    SHEPHERD_GITHUB_URL: gh.url,
    SHEPHERD_GITHUB_TOKEN: gh.token,
    SHEPHERD_EVIDENCE_S3_BUCKET: BUCKET,
    SHEPHERD_EVIDENCE_S3_ENDPOINT: s3.endpoint,
    SHEPHERD_EVIDENCE_S3_REGION: s3.region,
    SHEPHERD_EVIDENCE_S3_ACCESS_KEY_ID: s3.accessKeyId,
    SHEPHERD_EVIDENCE_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    SHEPHERD_EVIDENCE_DRIVE_FOLDER: parentFolder,
    SHEPHERD_EVIDENCE_GOOGLE_CLIENT_ID: drive.clientId,
    SHEPHERD_EVIDENCE_GOOGLE_CLIENT_SECRET: drive.clientSecret,
    SHEPHERD_EVIDENCE_GOOGLE_REFRESH_TOKEN: drive.refreshToken,
    SHEPHERD_EVIDENCE_GOOGLE_TOKEN_URL: drive.tokenUrl,
    SHEPHERD_EVIDENCE_DRIVE_URL: drive.rootUrl,
    SHEPHERD_EVIDENCE_SLACK_TOKEN: slack.token,
    SHEPHERD_EVIDENCE_SLACK_URL: slack.apiUrl,
  };
});

afterAll(async () => {
  await Promise.all([bb?.stop(), gh?.stop(), drive?.stop(), slack?.stop(), s3?.stop(), gitlab?.stop()]);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function shepherd(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin', 'shepherd.js'), ...args], { cwd: work, env, timeout: 200_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function unzip(zip: Buffer, name?: string): string {
  const file = path.join(work, `check-${Date.now()}.zip`);
  fs.writeFileSync(file, zip);
  try {
    return execFileSync('unzip', name ? ['-p', file, name] : ['-Z1', file], { encoding: 'utf8' });
  } finally {
    fs.rmSync(file);
  }
}

test('the month read from every forge, zipped per person, put in S3 and a new Drive folder, summarised in Slack; a re-run gives the same', async () => {
  const first = await shepherd(['evidence', '--month', '2026-10']);
  expect({ code: first.code, stderr: first.code === 0 ? '' : first.stderr }).toEqual({ code: 0, stderr: '' });
  expect(first.stdout).toContain('evidence of 2026-10: 2 people, 6 commits, 3 repositories read');
  expect(first.stdout).toContain('not found: bitbucket:team/gone');

  // S3: one zip per person, each holding one file per repository with their commits and roles.
  expect((await s3.listKeys(BUCKET)).sort()).toEqual(['evidences/2026-10/ana-garcia.zip', 'evidences/2026-10/joan-puig.zip']);
  const anaZip = await s3.getObject(BUCKET, 'evidences/2026-10/ana-garcia.zip');
  expect(unzip(anaZip).trim().split('\n').sort()).toEqual(['bitbucket_team_api.txt', 'gitlab_group_app.txt']);
  const anaApi = unzip(anaZip, 'bitbucket_team_api.txt');
  expect(anaApi).toMatch(/Pair on the importer/);
  expect(anaApi).toMatch(/approver[^\n]*Fix the login form|Fix the login form[^\n]*approver/);
  expect(anaApi).not.toMatch(/September work|Merge branch/);
  const anaApp = unzip(anaZip, 'gitlab_group_app.txt');
  expect(anaApp).toMatch(/Release notes/);
  expect(anaApp).toMatch(/author[^\n]*Importer retries|Importer retries[^\n]*author/);
  expect(anaApp).not.toMatch(/Merge branch/); // the merge commit: December's, and a merge
  const joanZip = await s3.getObject(BUCKET, 'evidences/2026-10/joan-puig.zip');
  expect(unzip(joanZip).trim().split('\n').sort()).toEqual(['bitbucket_team_api.txt', 'github_owner_web.txt', 'gitlab_group_app.txt']);
  const joanApp = unzip(joanZip, 'gitlab_group_app.txt');
  expect(joanApp).toMatch(/approver[^\n]*Importer retries|Importer retries[^\n]*approver/);
  expect(joanApp).not.toMatch(/Release notes/);
  expect(unzip(joanZip, 'bitbucket_team_api.txt')).toMatch(/co-author[^\n]*Pair on the importer|Pair on the importer[^\n]*co-author/);
  expect(unzip(joanZip, 'github_owner_web.txt')).toMatch(/Dark mode/);

  // Drive: the old October folder is gone with its stale zip; a new one holds both zips.
  const folders = () => drive.controls.files().filter((f) => f.name === '2026_10' && f.mimeType === FOLDER_MIME && !f.trashed && f.parents?.includes(parentFolder));
  expect(drive.controls.file(oldFolder)).toBeUndefined();
  expect(folders()).toHaveLength(1);
  const uploaded = drive.controls.childrenOf(folders()[0].id as string);
  expect(uploaded.map((f) => f.name).sort()).toEqual(['ana-garcia_2026_10.zip', 'joan-puig_2026_10.zip']);
  expect(uploaded.find((f) => f.name === 'ana-garcia_2026_10.zip')?.content?.equals(anaZip)).toBe(true);

  // Slack: one message, in the alert channel because a repository was missing, naming it and the stranger.
  expect(slack.messages()).toHaveLength(1);
  const [message] = slack.messages();
  expect(message.channelName).toBe('urgent');
  expect(message.text).toContain('bitbucket:team/gone');
  expect(message.text).toContain('stranger@example.org');

  // Run again, with Slack taking the post but its answer lost: the same bytes in S3, still one
  // October folder, and one more message, not two (the retry finds the post by its metadata).
  slack.controls.loseAnswerNext(1, 'chat.postMessage');
  const second = await shepherd(['evidence', '--month', '2026-10']);
  expect(second.code).toBe(0);
  expect((await s3.getObject(BUCKET, 'evidences/2026-10/ana-garcia.zip')).equals(anaZip)).toBe(true);
  expect(folders()).toHaveLength(1);
  expect(drive.controls.childrenOf(folders()[0].id as string)).toHaveLength(2);
  const calls = slack.controls.requests().map((r) => r.apiMethod);
  expect(calls.filter((m) => m === 'chat.postMessage')).toHaveLength(2);
  expect(calls).toContain('conversations.history');
  expect(slack.messages()).toHaveLength(2);
  // Nothing of the run is left on disk once it has been uploaded.
  expect(fs.readdirSync(path.join(work, 'data', 'evidence', '2026-10'))).toEqual([]);
});

test('a bad month is refused with the expected form, and nothing runs', async () => {
  const bad = await shepherd(['evidence', '--month', '2026-13']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--month needs a month as YYYY-MM');
});
