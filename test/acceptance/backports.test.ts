/**
 * Acceptance: issue 8, "Backports". Each describe is one numbered point of the issue; each test a
 * scenario end to end: the fake GitLab (delivering hooks as GitLab does: any order, some twice,
 * some dropped) → webhook API → Temporal → worker → real git → the backport MR in the fake.
 * Requests whose hooks may be lost are made robust the way production is: comment hooks are
 * never dropped by GitLab-like delivery, and labels are read at the merge, which polling finds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '../../src/config';
import { backportWorkflowId } from '../../src/domain/workflowIds';
import { PHASE } from '../../src/temporal/searchAttributes';
import type { Shepherd } from '../e2e/harness';
import { botSaid, fileOn, fixOnTwoCommits, mergedChange } from '../helpers/backports';
import { greenCi, merged, startShepherd } from './helpers';

jest.setTimeout(300_000);

const BOT = 'shepherd-bot';
const WAIT = 150_000;

/** Backport MRs the bot opened in the project, oldest first. */
function backportsIn(s: Shepherd, project: string) {
  return s.gitlab.mergeRequestsOpenedBy(BOT, project).sort((a, b) => a.iid - b.iid);
}

function waitForBackports(s: Shepherd, project: string, n: number) {
  return s.eventually(() => backportsIn(s, project), (mrs) => mrs.length >= n, WAIT);
}

/** Waits until the bot has said something matching `re` on the MR; answers every such comment. */
function waitForSaid(s: Shepherd, project: string, iid: number, re: RegExp, n = 1) {
  return s.eventually(() => botSaid(s, project, iid).filter((b) => re.test(b)), (said) => said.length >= n, WAIT);
}

/** Every backport workflow of the MR has ended (so whatever it would say is said). */
async function backportsSettled(s: Shepherd, project: string, iid: number): Promise<void> {
  const query = `WorkflowType = "backportWorkflow" AND ShepherdProject = "${project}" AND ShepherdMergeRequest = ${iid} AND ExecutionStatus = "Running"`;
  await s.eventually(
    async () => {
      let running = 0;
      for await (const _ of s.client.workflow.list({ query })) running++;
      return running;
    },
    (running) => running === 0,
    WAIT,
  );
}

/** A comment, then GitLab's hooks for it delivered (or dropped). */
async function say(s: Shepherd, project: string, iid: number, who: string, body: string) {
  const note = s.gitlab.comment(project, iid, who, body);
  await s.gitlab.webhooksIdle();
  return note;
}

// --- an SMTP server for the admin mail ---------------------------------------------------------

interface Mail {
  raw: Buffer;
}
const mails: Mail[] = [];
let smtp: SMTPServer;
let smtpPort = 0;

beforeAll(async () => {
  smtp = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ raw: Buffer.concat(chunks) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  const addr = smtp.server.address();
  smtpPort = typeof addr === 'object' && addr ? addr.port : 0;
});
afterAll(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

// --- Shepherd as most teams would run it: the candidate label sends to two release branches ---

let s: Shepherd;
beforeAll(async () => {
  s = await startShepherd({
    env: {
      SHEPHERD_BACKPORT_BRANCHES: 'release-1, release-2',
      SHEPHERD_BACKPORT_MR_LABELS: 'backport',
      SHEPHERD_ADMIN_EMAIL: 'admin@example.com',
      SHEPHERD_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    },
  });
});
afterAll(() => s.stop());

describe('1. triggers: labels and comments, before and after the merge', () => {
  test('every backport option is named as marge-style options are (flag, SHEPHERD_*, YAML) and documented in the README', () => {
    const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    const options: Array<[string, string, string, unknown, unknown]> = [
      // option, config field, a value, what it becomes, the default
      ['backport-label', 'backportLabel', 'to-backport', 'to-backport', 'backport-candidate'],
      ['backport-branches', 'backportBranches', 'release-1,release-2', ['release-1', 'release-2'], []],
      ['backport-label-pattern', 'backportLabelPattern', '^pick-to (\\S+)$', '^pick-to (\\S+)$', '^backport (\\S+)$'],
      ['backport-mr-labels', 'backportMrLabels', 'backport', ['backport'], []],
      ['backport-merge', 'backportMerge', 'true', true, false],
      ['backport-conflicts', 'backportConflicts', 'draft', 'draft', 'comment'],
    ];
    for (const [name, field, value, parsed, def] of options) {
      const key = field as keyof ReturnType<typeof loadConfig>['config'];
      expect(loadConfig({ argv: [], env: {} }).config[key]).toEqual(def);
      const flag = typeof def === 'boolean' ? [`--${name}`] : [`--${name}`, value];
      expect(loadConfig({ argv: flag, env: {} }).config[key]).toEqual(parsed);
      expect(loadConfig({ argv: [], env: { [`SHEPHERD_${name.toUpperCase().replace(/-/g, '_')}`]: value } }).config[key]).toEqual(parsed);
      const file = path.join(s.dataDir, `${name}.yml`);
      fs.writeFileSync(file, `${name}: ${JSON.stringify(parsed)}\n`);
      expect(loadConfig({ argv: ['--config-file', file], env: {} }).config[key]).toEqual(parsed);
      expect(readme).toContain(`\`${name}\``);
    }
  });

  test('the candidate label before the merge: answered once, then, when the queue merges it, one backport MR per backport-branches branch', async () => {
    const project = s.newProject('bp-candidate');
    greenCi(s);
    const { iid } = await fixOnTwoCommits(s, project, { releases: ['release-1', 'release-2'], labels: ['backport-candidate'] });
    s.gitlab.assign(project, iid, [BOT], 'alice');

    await merged(s, project, iid);
    const [one, two] = await waitForBackports(s, project, 2);
    await backportsSettled(s, project, iid);

    expect([one.targetBranch, two.targetBranch].sort()).toEqual(['release-1', 'release-2']);
    for (const mr of [one, two]) {
      expect(mr).toMatchObject({ title: `[Backport ${mr.targetBranch}] Fix the thing`, assignees: ['alice'], labels: ['backport'], draft: false });
      expect(fileOn(s, project, mr.sourceBranch, 'src/fix.txt')).toBe('one\ntwo\n');
    }
    const said = botSaid(s, project, iid);
    const promised = said.filter((b) => /once it is merged/.test(b));
    expect(promised).toHaveLength(1);
    expect(promised[0]).toContain('`release-1` and `release-2`');
    for (const mr of [one, two]) expect(said.filter((b) => b.includes(`[!${mr.iid}]`) && b.startsWith('Backported'))).toHaveLength(1);
  });

  test('a label pattern: `backport release-1` and `backport release-2` are two destinations', async () => {
    const project = s.newProject('bp-pattern');
    greenCi(s);
    const { iid } = await fixOnTwoCommits(s, project, { releases: ['release-1', 'release-2', 'release-3'], labels: ['backport release-1', 'backport release-2'] });
    s.gitlab.assign(project, iid, [BOT], 'alice');

    await merged(s, project, iid);
    await waitForBackports(s, project, 2);
    await backportsSettled(s, project, iid);

    expect(backportsIn(s, project).map((m) => m.targetBranch).sort()).toEqual(['release-1', 'release-2']);
  });

  test('/cherry-pick by a Developer after the merge starts at once; the MR author may ask too; a Reporter is told who may ask', async () => {
    s.gitlab.addUser({ username: 'rob', name: 'Rob Reporter' });
    const project = s.newProject('bp-who');
    s.gitlab.setMember(project, 'rob', 'reporter');
    const { iid } = await fixOnTwoCommits(s, project, { releases: ['release-1', 'release-2', 'release-3'], author: 'rita' });
    await s.gitlab.merge(project, iid, { by: 'bob' });

    await say(s, project, iid, 'rob', `@${BOT} backport release-3`);
    const [refusal] = await waitForSaid(s, project, iid, /only the author/);
    await say(s, project, iid, 'bob', '/cherry-pick release-1');
    await say(s, project, iid, 'rita', '/cherrypick release-2'); // rita reports, but wrote the MR
    await waitForBackports(s, project, 2);
    await backportsSettled(s, project, iid);

    expect(refusal).toContain('@rob');
    expect(backportsIn(s, project).map((m) => [m.targetBranch, m.assignees])).toEqual([
      ['release-1', ['rita']],
      ['release-2', ['rita']],
    ]);
    expect(botSaid(s, project, iid).filter((b) => /only the author/.test(b))).toHaveLength(1);
  });

  test('asked by comment before the merge: answered once, remembered across a worker restart, done at the merge', async () => {
    const project = s.newProject('bp-before');
    const { iid } = await fixOnTwoCommits(s, project);
    await say(s, project, iid, 'alice', `@${BOT} backport release-1`);
    await waitForSaid(s, project, iid, /once it is merged/);
    await say(s, project, iid, 'bob', '/cherry-pick release-1'); // asked again: no second answer

    await s.restartWorker();
    await s.gitlab.merge(project, iid, { by: 'bob' });
    const [backport] = await waitForBackports(s, project, 1);
    await backportsSettled(s, project, iid);

    expect(backport.targetBranch).toBe('release-1');
    const said = botSaid(s, project, iid);
    expect(said.filter((b) => /once it is merged/.test(b))).toHaveLength(1);
    expect(said.filter((b) => b.startsWith('Backported'))).toHaveLength(1);
  });

  test('closed without a merge: one comment saying only merged MRs are backported, and nothing else', async () => {
    const project = s.newProject('bp-closed');
    const { iid } = await fixOnTwoCommits(s, project);
    await say(s, project, iid, 'alice', '/cherry-pick release-1');
    await waitForSaid(s, project, iid, /once it is merged/);

    s.gitlab.close(project, iid, 'alice');
    await waitForSaid(s, project, iid, /closed without being merged/);
    await say(s, project, iid, 'alice', `@${BOT} help`); // the workflow has looked again since
    await waitForSaid(s, project, iid, /I understand these commands/);

    expect(botSaid(s, project, iid).filter((b) => /closed without being merged/.test(b))).toHaveLength(1);
    expect(backportsIn(s, project)).toEqual([]);
  });

  test('a destination that is the target branch, or does not exist: a comment naming each, nothing else', async () => {
    const { project, iid } = await mergedChange(s, 'bp-refused', 'merge');

    await say(s, project, iid, 'alice', '/cherry-pick main release-9');
    await waitForSaid(s, project, iid, /release-9/);
    await waitForSaid(s, project, iid, /`main`: it is the branch this merge request targets/);
    await backportsSettled(s, project, iid);

    expect(botSaid(s, project, iid)).toHaveLength(2);
    expect(backportsIn(s, project)).toEqual([]);
  });

  test('`@bot help` lists the backport commands next to merge and cancel', async () => {
    const project = s.newProject('bp-help');
    const { iid } = await fixOnTwoCommits(s, project);

    await say(s, project, iid, 'alice', `@${BOT} help`);
    const [help] = await waitForSaid(s, project, iid, /I understand these commands/);

    expect(help).toContain(`\`@${BOT} merge\``);
    expect(help).toContain(`\`@${BOT} cancel\``);
    expect(help).toContain(`\`@${BOT} backport <branch> [<branch>…]\``);
    expect(help).toContain('`/cherry-pick <branch> [<branch>…]`');
    expect(help).not.toMatch(/don't know/);
  });
});

describe('2. the work: what landed, cherry-picked with -x onto backport/<iid>-to-<dest>, as an MR linked both ways', () => {
  test.each([
    ['rebase-merged (fast-forward)', 'ff', false],
    ['merge-commit', 'merge', false],
    ['squash-merged', 'merge', true],
  ] as const)('%s original: the change, its commits listed, assigned to the author, labelled, linked from the original', async (_name, method, squash) => {
    const { project, iid } = await mergedChange(s, `bp-${method}${squash ? '-squash' : ''}`, method, { squash });

    await say(s, project, iid, 'bob', '/cherry-pick release-1');
    const [backport] = await waitForBackports(s, project, 1);
    await backportsSettled(s, project, iid);

    expect(backport).toMatchObject({ sourceBranch: `backport/${iid}-to-release-1`, targetBranch: 'release-1', title: '[Backport release-1] Fix the thing', assignees: ['alice'], labels: ['backport'] });
    expect(backport.description).toContain(`Backport of !${iid}`);
    expect(fileOn(s, project, backport.sourceBranch, 'src/fix.txt')).toBe('one\ntwo\n');
    expect(fileOn(s, project, backport.sourceBranch, 'README.md')).toBe('# app, release-1\n');
    const messages = await Promise.all(s.gitlab.log(project, backport.sourceBranch, 3).map((c) => s.gitlab.commitMessage(project, c.sha)));
    const picked = messages.filter((m) => /cherry picked from commit/.test(m));
    expect(picked).toHaveLength(squash || method === 'merge' ? 1 : 2);
    for (const m of picked) expect(backport.description).toContain(/cherry picked from commit ([0-9a-f]{8})/.exec(m)![1]);
    const said = botSaid(s, project, iid);
    expect(said).toHaveLength(1);
    expect(said[0]).toContain(`[!${backport.iid}](${backport.webUrl})`);
  });
});

describe('3. conflicts and failures say exactly what to do', () => {
  async function conflicting(name: string): Promise<{ project: string; iid: number; sha: string }> {
    const project = s.newProject(name);
    await s.gitlab.commit(project, 'release-1', { files: { 'src/app.txt': 'line 1\nrelease line 2\nline 3\n' }, message: 'Release change', author: 'bob' });
    s.gitlab.setMergeMethod(project, 'ff');
    const sha = await s.gitlab.commit(project, 'fix', { files: { 'src/app.txt': 'line 1\nfixed line 2\nline 3\n' }, message: 'Fix line 2', author: 'alice' });
    const { iid } = s.gitlab.createMergeRequest(project, { sourceBranch: 'fix', title: 'Fix line 2', author: 'alice' });
    await s.gitlab.merge(project, iid, { by: 'bob' });
    return { project, iid, sha };
  }

  test('a conflict, by default: a comment naming the destination, the files and the commands to finish by hand; no MR', async () => {
    const { project, iid, sha } = await conflicting('bp-conflict');

    await say(s, project, iid, 'alice', '/cherry-pick release-1');
    const [said] = await waitForSaid(s, project, iid, /conflicts/);
    await backportsSettled(s, project, iid);

    expect(said).toContain('`release-1`');
    expect(said).toContain('`src/app.txt`');
    expect(said).toContain('git fetch origin');
    expect(said).toContain(`git switch -c backport/${iid}-to-release-1 origin/release-1`);
    expect(said).toContain(`git cherry-pick -x ${sha}`);
    expect(backportsIn(s, project)).toEqual([]);
    expect(botSaid(s, project, iid)).toHaveLength(1);
  });

  test('a push the forge refuses: the administrator gets one mail naming the MR, the destination and the error, without the token; the backport goes on once it is fixed', async () => {
    const project = s.newProject('bp-refused-push', {
      protectedBranches: ['main', { name: 'backport/*', push: [{ role: 'no one' }] }],
    });
    const { iid } = await fixOnTwoCommits(s, project);
    await s.gitlab.merge(project, iid, { by: 'bob' });
    const before = mails.length;

    await say(s, project, iid, 'alice', '/cherry-pick release-1');
    await s.eventually(() => mails.length, (n) => n > before, WAIT);
    s.gitlab.setProjectOption(project, { protectedBranches: ['main'] }); // the administrator fixes it
    const [backport] = await waitForBackports(s, project, 1);
    await backportsSettled(s, project, iid);

    const sent = mails.slice(before);
    expect(sent).toHaveLength(1);
    const mail = await simpleParser(sent[0].raw);
    expect(mail.subject).toContain(`${project}!${iid}`);
    expect(mail.text).toContain('release-1');
    expect(mail.text).toMatch(/push|protected|denied|rejected/i);
    expect(sent[0].raw.toString('utf8')).not.toContain(s.bot.token);
    expect(backport.targetBranch).toBe('release-1');
    expect(botSaid(s, project, iid).filter((b) => b.startsWith('Backported'))).toHaveLength(1);
  });

  describe('with backport-conflicts: draft and backport-merge: true', () => {
    let d: Shepherd;
    beforeAll(async () => {
      d = await startShepherd({ env: { SHEPHERD_BACKPORT_CONFLICTS: 'draft', SHEPHERD_BACKPORT_MERGE: 'true' } });
    });
    afterAll(() => d.stop());

    test('a conflict: the conflicted state committed, markers included, as a draft MR labelled backport-conflict; said on both MRs', async () => {
      const project = d.newProject('bp-draft');
      await d.gitlab.commit(project, 'release-1', { files: { 'src/app.txt': 'line 1\nrelease line 2\nline 3\n' }, message: 'Release change', author: 'bob' });
      await d.gitlab.commit(project, 'fix', { files: { 'src/app.txt': 'line 1\nfixed line 2\nline 3\n' }, message: 'Fix line 2', author: 'alice' });
      const { iid } = d.gitlab.createMergeRequest(project, { sourceBranch: 'fix', title: 'Fix line 2', author: 'alice' });
      await d.gitlab.merge(project, iid, { by: 'bob' });

      await say(d, project, iid, 'alice', '/cherry-pick release-1');
      const [draft] = await waitForBackports(d, project, 1);
      await backportsSettled(d, project, iid);

      expect(draft).toMatchObject({ draft: true, labels: ['backport-conflict'], targetBranch: 'release-1' });
      expect(draft.description).toMatch(/conflict markers/);
      expect(fileOn(d, project, draft.sourceBranch, 'src/app.txt')).toMatch(/^<<<<<<< /m);
      const said = botSaid(d, project, iid);
      expect(said).toHaveLength(1);
      expect(said[0]).toContain(`[!${draft.iid}]`);
      expect(said[0]).toContain('draft');
      // A draft waits for a person: it is not handed to the merge queue.
      expect(d.gitlab.mergeRequest(project, draft.iid).state).toBe('opened');
    });

    test('backport-merge: the new backport MR is merged by Shepherd\'s own merge queue once its pipeline passes', async () => {
      greenCi(d);
      const project = d.newProject('bp-merge');
      const { iid } = await fixOnTwoCommits(d, project);
      await d.gitlab.merge(project, iid, { by: 'bob' });

      await say(d, project, iid, 'alice', '/cherry-pick release-1');
      const [backport] = await waitForBackports(d, project, 1);
      await merged(d, project, backport.iid);

      expect(fileOn(d, project, 'release-1', 'src/fix.txt')).toBe('one\ntwo\n');
    });

    test('the candidate label without backport-branches: one comment saying none are configured', async () => {
      const project = d.newProject('bp-no-branches');
      const { iid } = await fixOnTwoCommits(d, project, { labels: ['backport-candidate'] });
      await say(d, project, iid, 'alice', `@${BOT} help`); // a comment: its hook is never lost

      await waitForSaid(d, project, iid, /`backport-branches`/);
      d.gitlab.setLabels(project, iid, [], 'alice');
      d.gitlab.setLabels(project, iid, ['backport-candidate'], 'alice');
      await d.gitlab.merge(project, iid, { by: 'bob' });
      await say(d, project, iid, 'alice', `@${BOT} help`);
      await waitForSaid(d, project, iid, /I understand these commands/, 2);

      expect(botSaid(d, project, iid).filter((b) => /`backport-branches`/.test(b))).toHaveLength(1);
      expect(backportsIn(d, project)).toEqual([]);
    });
  });
});

describe('4. idempotent and durable', () => {
  test('asked again, by command, label or a redelivered hook: one MR, one push, and "already backported in !N" once per new request', async () => {
    const { project, iid } = await mergedChange(s, 'bp-again', 'ff');
    const first = await say(s, project, iid, 'alice', '/cherry-pick release-1');
    const [backport] = await waitForBackports(s, project, 1);
    await backportsSettled(s, project, iid);
    const head = s.gitlab.branchHead(project, backport.sourceBranch);

    const hook = s.gitlab.webhookDeliveries.find((d) => d.event === 'Note Hook' && (d.body.object_attributes as { id?: number }).id === first.id)!;
    s.gitlab.redeliver(hook.index);
    s.gitlab.setLabels(project, iid, ['backport release-1'], 'bob');
    s.gitlab.setLabels(project, iid, [], 'bob');
    s.gitlab.setLabels(project, iid, ['backport release-1'], 'bob');
    await say(s, project, iid, 'bob', `@${BOT} backport release-1`);
    await waitForSaid(s, project, iid, new RegExp(`already backported in \\[!${backport.iid}\\]`));
    await s.gitlab.webhooksIdle();
    await backportsSettled(s, project, iid);

    expect(backportsIn(s, project)).toHaveLength(1);
    expect(s.gitlab.branchHead(project, backport.sourceBranch)).toBe(head);
    const said = botSaid(s, project, iid);
    expect(said.filter((b) => b.startsWith('Backported'))).toHaveLength(1);
    expect(said.filter((b) => /already backported/.test(b))).toHaveLength(1);
  });

  test('the worker killed in the middle of a backport: the new worker finishes it; one MR, one comment', async () => {
    const { project, iid } = await mergedChange(s, 'bp-killed', 'merge');
    // The MR is opened after the push: hold that request so the worker dies while it waits.
    s.gitlab.stallNextRequests(1, { method: 'POST', path: /\/merge_requests$/ });

    await say(s, project, iid, 'alice', '/cherry-pick release-1');
    const id = backportWorkflowId({ forge: 'gitlab', project, iid }, 'release-1');
    await s.eventually(
      async () => (await s.client.workflow.getHandle(id).describe().catch(() => undefined))?.typedSearchAttributes.get(PHASE),
      (phase) => phase === 'opening',
      WAIT,
    );
    await s.restartWorker();
    await waitForBackports(s, project, 1);
    await backportsSettled(s, project, iid);

    expect(backportsIn(s, project)).toHaveLength(1);
    expect(botSaid(s, project, iid).filter((b) => b.startsWith('Backported'))).toHaveLength(1);
  });
});
