/**
 * Acceptance: issue 3, "Merge queue: everything marge-bot users rely on". Each describe is one
 * numbered point of the issue; each test a scenario against the fake GitLab, end to end through
 * the webhook API, Temporal and the worker (except where a point is about start-up itself).
 * The fake GitLab delivers hooks as GitLab does (any order, some twice, some dropped): see startShepherd.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConfigError, loadConfig } from '../../src/config';
import { embargoCommand } from '../../src/commands/embargoCommand';
import { runOnce } from '../../src/commands/runOnce';
import { parseEmbargo } from '../../src/domain/embargo';
import { setTrailers, TrailerError } from '../../src/domain/trailers';
import { mergeQueueWorkflowId } from '../../src/domain/workflowIds';
import { snapshotQuery, type QueueSnapshot } from '../../src/workflows/definitions';
import { checkForgePermissions } from '../../src/worker';
import type { Shepherd } from '../e2e/harness';
import { devServerAddress, workflowBundle } from '../helpers/temporal';
import { greenCi, handedBack, merged, openMergeRequest, rebasedPipeline, startShepherd, theExplanation } from './helpers';

jest.setTimeout(120_000);

describe('1. every marge-bot option, with the same names, meaning and defaults', () => {
  const marge: Record<string, [string, unknown, string, unknown]> = {
    // option: [config field, marge default, a value, what it becomes]
    'ci-timeout': ['ciTimeoutMs', 15 * 60_000, '20min', 20 * 60_000],
    'git-timeout': ['gitTimeoutMs', 120_000, '30s', 30_000],
    'approval-reset-timeout': ['approvalResetTimeoutMs', 0, '1m', 60_000],
    embargo: ['embargo', '', 'Friday 1pm - Monday 9am', 'Friday 1pm - Monday 9am'],
    'use-merge-strategy': ['useMergeStrategy', false, 'true', true],
    'rebase-remotely': ['rebaseRemotely', false, 'true', true],
    'add-tested': ['addTested', false, 'true', true],
    'add-part-of': ['addPartOf', false, 'true', true],
    'add-reviewers': ['addReviewers', false, 'true', true],
    'impersonate-approvers': ['impersonateApprovers', false, 'true', true],
    'merge-order': ['mergeOrder', 'created_at', 'assigned_at', 'assigned_at'],
    'project-regexp': ['projectRegexp', '.*', 'some_group/.*', 'some_group/.*'],
    'branch-regexp': ['branchRegexp', '.*', 'main', 'main'],
    'source-branch-regexp': ['sourceBranchRegexp', '.*', 'feature/.*', 'feature/.*'],
    'use-https': ['useHttps', false, 'true', true],
    debug: ['debug', false, 'true', true],
    cli: ['cli', false, 'true', true],
    batch: ['batch', false, 'true', true],
  };

  test.each(Object.entries(marge))('%s: same default, and settable as flag, SHEPHERD_ variable and YAML key', (name, [field, def, value, parsed]) => {
    const key = field as keyof ReturnType<typeof loadConfig>['config'];
    expect(loadConfig({ argv: [], env: {} }).config[key]).toEqual(def);
    const flag = typeof def === 'boolean' ? [`--${name}`] : [`--${name}`, value];
    expect(loadConfig({ argv: flag, env: {} }).config[key]).toEqual(parsed);
    const envName = `SHEPHERD_${name.toUpperCase().replace(/-/g, '_')}`;
    expect(loadConfig({ argv: [], env: { [envName]: value } }).config[key]).toEqual(parsed);
  });

  test('the token is refused on the command line, as marge refuses it', () => {
    expect(() => loadConfig({ argv: ['--auth-token', 'x'], env: {} })).toThrow(/auth-token.*command line/s);
  });

  test.each([
    [['--use-merge-strategy', '--add-tested'], ['use-merge-strategy', 'add-tested']],
    [['--rebase-remotely', '--add-part-of'], ['rebase-remotely', 'add-part-of']],
    [['--rebase-remotely', '--add-reviewers'], ['rebase-remotely', 'add-reviewers']],
    [['--rebase-remotely', '--use-merge-strategy'], ['rebase-remotely', 'use-merge-strategy']],
  ])('%j is refused at start-up, naming both options', (argv, names) => {
    let error: unknown;
    try {
      loadConfig({ argv, env: {} });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    for (const n of names) expect((error as Error).message).toContain(n);
  });

  test('ssh-key-file: git goes over SSH with that key, as marge-bot does by default', async () => {
    const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shepherd-key-'));
    const key = path.join(keyDir, 'id');
    await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const s = await startShepherd({
      gitlabSsh: true,
      beforeStart: async (gitlab, env) => {
        gitlab.addSshKey('shepherd-bot', fs.readFileSync(`${key}.pub`, 'utf8'));
        env.SHEPHERD_SSH_KEY_FILE = key;
      },
    });
    try {
      greenCi(s);
      const project = s.newProject('ssh');
      const { iid } = await openMergeRequest(s, project);
      s.gitlab.assign(project, iid, ['shepherd-bot']);
      await merged(s, project, iid);
      // ssh recorded the fake's host key: the clone and push went over SSH, not HTTPS.
      expect(fs.readFileSync(path.join(s.dataDir, 'git', 'known_hosts'), 'utf8')).toContain('ecdsa-sha2-nistp256');
    } finally {
      await s.stop();
      fs.rmSync(keyDir, { recursive: true, force: true });
    }
  });

  test('marge-bot\'s --batch turns on batch mode (see trains.test.ts), and its batch-only options say why they do nothing', () => {
    const loaded = loadConfig({ argv: ['--batch', '--use-merge-commit-batches'], env: {} });
    expect(loaded.config.queueMode).toBe('batch');
    expect(loaded.warnings.join('\n')).toMatch(/use-merge-commit-batches.*no effect/s);
    expect(loaded.warnings.join('\n')).not.toMatch(/^batch /m);
  });
});

describe('2. --cli / shepherd run-once', () => {
  let s: Shepherd;
  beforeAll(async () => {
    s = await startShepherd();
    greenCi(s);
  });
  afterAll(() => s.stop());

  test('processes every MR assigned to the bot, one line each, and exits non-zero when one could not be merged', async () => {
    const good = s.newProject('run-once-good');
    const bad = s.newProject('run-once-bad');
    const a = await openMergeRequest(s, good);
    s.gitlab.assign(good, a.iid, ['shepherd-bot']);
    const b = await s.gitlab.commit(bad, 'feature', { files: { 'src/app.txt': 'mine\n' }, message: 'Edit app', author: 'alice' });
    await s.gitlab.commit(bad, 'main', { files: { 'src/app.txt': 'theirs\n' }, message: 'Edit app on main', author: 'bob' });
    const conflict = s.gitlab.createMergeRequest(bad, { sourceBranch: 'feature', title: 'Edit app', author: 'alice', assignees: ['shepherd-bot'] });
    void b;
    // The service is not listening: run-once finds the work itself, as marge --cli does.
    s.gitlab.setWebhook(undefined);

    const result = await runOnce({ ...s.config, taskQueue: `${s.config.taskQueue}-once` }, { address: devServerAddress(), workflowBundle: await workflowBundle() });

    expect(result.lines.sort()).toEqual([`${bad}!${conflict.iid}: not merged: conflict (see the comment on the merge request)`, `${good}!${a.iid}: merged`].sort());
    expect(result.code).not.toBe(0);
    expect(s.gitlab.mergeRequest(good, a.iid).state).toBe('merged');
    s.gitlab.setWebhook(`${s.apiUrl}/webhooks/gitlab`, 'e2e-webhook-secret');
  });
});

describe('3. embargo windows', () => {
  test('parseEmbargo: day names, 12 h and 24 h times, @, zones, wrap-around, inclusive ends', () => {
    const e = parseEmbargo('Fri@17:00 Europe/London - Mon 9am Europe/London, Wednesday 1pm - Wed 2pm');
    expect(e.covers(new Date('2026-11-27T17:00:00Z'))).toBe(true); // Friday 17:00 London (GMT)
    expect(e.covers(new Date('2026-11-29T12:00:00Z'))).toBe(true); // Sunday, wrapped
    expect(e.covers(new Date('2026-11-30T09:00:00Z'))).toBe(true); // Monday 9am: inclusive
    expect(e.covers(new Date('2026-11-30T09:00:01Z'))).toBe(false);
    expect(e.nextEnd(new Date('2026-11-28T00:00:00Z'))?.getTime()).toBe(Date.parse('2026-11-30T09:00:00.001Z'));
    expect(e.covers(new Date('2026-11-25T13:30:00Z'))).toBe(true);
    expect(parseEmbargo('').covers(new Date())).toBe(false);
    expect(() => parseEmbargo('Funday 1pm - Monday 9am')).toThrow(/Funday/);
  });

  test('a bad spec stops start-up naming the part', () => {
    expect(() => loadConfig({ argv: ['--embargo', 'Friday 25pm - Monday 9am'], env: {} })).toThrow(/embargo.*25pm/s);
  });

  test('`shepherd embargo` says whether an instant is covered and when the window ends', () => {
    const inside = embargoCommand(['Friday 6pm - Monday 9am', '--at', '2026-11-28T10:00:00Z']);
    expect(inside).toEqual({ code: 0, out: expect.stringContaining('is covered by the embargo: merging waits until 2026-11-30T09:00:00.001Z') });
    expect(embargoCommand(['Friday 6pm - Monday 9am', '--at', '2026-11-25T10:00:00Z']).out).toContain('not covered');
    expect(embargoCommand(['Someday']).code).toBe(2);
  });

  describe('an MR that becomes ready during an embargo', () => {
    let s: Shepherd;
    const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
    const at = (d: Date): string => `${days[d.getUTCDay()]} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
    let end: Date;
    beforeAll(async () => {
      // A window from now to the next whole minute at least 40 s away (UTC), chosen when the test
      // starts: the MR must become ready well inside it, even when its hooks are lost.
      const now = new Date();
      end = new Date(Math.ceil((now.getTime() + 40_000) / 60_000) * 60_000);
      const spec = `${at(new Date(now.getTime() - 60_000))} - ${at(end)}`;
      s = await startShepherd({ env: { SHEPHERD_EMBARGO: spec } });
      greenCi(s);
    });
    afterAll(() => s.stop());

    test('waits on a timer, says until when, and merges when the embargo ends', async () => {
      const project = s.newProject('embargo');
      const { iid } = await openMergeRequest(s, project);
      s.gitlab.assign(project, iid, ['shepherd-bot']);
      const body = await theExplanation(s, project, iid);
      expect(body).toContain('paused by an embargo');
      expect(body).toContain(new Date(end.getTime() + 1).toISOString().replace('.001Z', ''));
      expect(s.gitlab.mergeRequest(project, iid).state).toBe('opened');
      await s.waitForMergeRequest(project, iid, (m) => m.state === 'merged', 150_000);
      expect(Date.now()).toBeGreaterThan(end.getTime());
    }, 180_000);
  });
});

describe('4. commit trailers', () => {
  test('setTrailers replaces same-named trailers, keeps others, and refuses empty messages', () => {
    const msg = 'Fix the thing\n\nBody.\n\nReviewed-by: Old <old@x>\nSigned-off-by: A <a@x>\n';
    expect(setTrailers(msg, { 'Reviewed-by': ['Bob <bob@x>', 'Bob <bob@x>'] })).toBe('Fix the thing\n\nBody.\n\nSigned-off-by: A <a@x>\nReviewed-by: Bob <bob@x>\n');
    expect(setTrailers('Fix: handle nulls', { 'Part-of': ['<u>'] })).toBe('Fix: handle nulls\n\nPart-of: <u>\n');
    expect(() => setTrailers('', { 'Part-of': ['<u>'] })).toThrow(TrailerError);
    expect(() => setTrailers('Part-of: <old>\n', { 'Part-of': ['<u>'] })).toThrow(TrailerError);
  });

  describe('with add-reviewers, add-part-of and add-tested', () => {
    let s: Shepherd;
    beforeAll(async () => {
      s = await startShepherd({
        env: { SHEPHERD_ADD_REVIEWERS: 'true', SHEPHERD_ADD_PART_OF: 'true', SHEPHERD_ADD_TESTED: 'true' },
      });
      greenCi(s);
    });
    afterAll(() => s.stop());

    test('Reviewed-by and Part-of go on every commit, Tested-by on the last one', async () => {
      const project = s.newProject('trailers', { approvalsRequired: 1 });
      await s.gitlab.commit(project, 'feature', { files: { 'a.txt': 'a\n' }, message: 'First change\n\nReviewed-by: Someone Else <x@y>', author: 'alice' });
      const { iid } = await openMergeRequest(s, project);
      s.gitlab.approve(project, iid, 'bob');
      s.gitlab.assign(project, iid, ['shepherd-bot']);
      const mr = await merged(s, project, iid);
      const url = mr.webUrl;
      const commits = s.gitlab.log(project, 'feature').slice(0, 2);
      const bodies = await Promise.all(commits.map((c) => s.gitlab.commitMessage(project, c.sha)));
      for (const body of bodies) {
        expect(body).toContain('Reviewed-by: Bob Reviewer <bob@example.com>');
        expect(body).not.toContain('Someone Else');
        expect(body).toContain(`Part-of: <${url}>`);
      }
      expect(bodies[0]).toContain(`Tested-by: Shepherd <${url}>`); // newest first: the last commit
      expect(bodies[1]).not.toContain('Tested-by');
    });

    test('squash-on-merge is refused with trailers enabled, saying what to change', async () => {
      const project = s.newProject('squash');
      const { iid } = await openMergeRequest(s, project, { squash: true });
      s.gitlab.assign(project, iid, ['shepherd-bot']);
      await handedBack(s, project, iid);
      expect(await theExplanation(s, project, iid)).toMatch(/squash.*Turn off/s);
    });
  });
});

describe('5. readiness and merge failures', () => {
  let s: Shepherd;
  beforeAll(async () => {
    s = await startShepherd();
  });
  afterAll(() => s.stop());
  beforeEach(() => greenCi(s));

  test('a draft is refused: mark it ready', async () => {
    const project = s.newProject('draft');
    const { iid } = await openMergeRequest(s, project, { draft: true });
    s.gitlab.assign(project, iid, ['shepherd-bot']);
    await handedBack(s, project, iid);
    expect(await theExplanation(s, project, iid)).toContain('marked as draft');
  });

  test('missing approvals: how many more, and who could approve', async () => {
    const project = s.newProject('approvals', { approvalsRequired: 1 });
    const { iid } = await openMergeRequest(s, project);
    s.gitlab.assign(project, iid, ['shepherd-bot']);
    await handedBack(s, project, iid);
    const body = await theExplanation(s, project, iid);
    expect(body).toContain('1 more approval');
    expect(body).toContain('@bob');
  });

  test('with approval rules, the comment names who can still approve', async () => {
    const project = s.newProject('approval-rules', {
      approvalRules: [
        { name: 'Backend', approvalsRequired: 1, eligible: ['bob'] },
        { name: 'Docs', approvalsRequired: 1, eligible: ['rita'] },
      ],
    });
    const { iid } = await openMergeRequest(s, project);
    s.gitlab.approve(project, iid, 'bob');
    s.gitlab.assign(project, iid, ['shepherd-bot']);
    await handedBack(s, project, iid);
    const body = await theExplanation(s, project, iid);
    expect(body).toContain('1 more approval');
    expect(body).toContain('It can be approved by: @rita.');
  });

  test('unresolved discussions are refused: resolve them', async () => {
    const project = s.newProject('discussions');
    const { iid } = await openMergeRequest(s, project);
    s.gitlab.addDiscussion(project, iid, { author: 'bob', body: 'Why?', resolvable: true, resolved: false });
    s.gitlab.assign(project, iid, ['shepherd-bot']);
    await handedBack(s, project, iid);
    expect(await theExplanation(s, project, iid)).toContain('unresolved discussions');
  });

  test('a skipped pipeline counts as passed', async () => {
    s.gitlab.setPipelinePolicy((p) => (p.ref === 'main' ? 'manual' : { status: 'skipped', afterMs: 200 }));
    // GitLab merges on a skipped pipeline only with "Skipped pipelines are considered successful".
    const project = s.newProject('skipped', { allowMergeOnSkippedPipeline: true });
    const { iid } = await openMergeRequest(s, project);
    s.gitlab.assign(project, iid, ['shepherd-bot']);
    await merged(s, project, iid);
  });

  test('a canceled pipeline is explained', async () => {
    s.gitlab.setPipelinePolicy((p) => (p.ref === 'main' ? 'manual' : { status: 'canceled', afterMs: 200 }));
    const project = s.newProject('canceled');
    const { iid } = await openMergeRequest(s, project);
    s.gitlab.assign(project, iid, ['shepherd-bot']);
    await handedBack(s, project, iid);
    expect(await theExplanation(s, project, iid)).toContain('pipeline was canceled');
  });

  test('someone pushing to the source branch during CI stops the merge, explained', async () => {
    s.gitlab.setPipelinePolicy(() => 'manual');
    const project = s.newProject('pushed');
    const { iid, head } = await openMergeRequest(s, project);
    s.gitlab.assign(project, iid, ['shepherd-bot']);
    const p = await rebasedPipeline(s, project, 'feature', head);
    await s.gitlab.commit(project, 'feature', { files: { 'late.txt': 'late\n' }, message: 'One more thing', author: 'alice' });
    s.gitlab.finishPipeline(project, p.sha, 'success');
    await handedBack(s, project, iid);
    expect(s.gitlab.mergeRequest(project, iid).state).toBe('opened');
    expect(await theExplanation(s, project, iid)).toContain('someone pushed to its source branch');
  });

  test('a protected source branch is explained (the bot may not push to it)', async () => {
    // Nobody may push to `feature`, the bot included (a plain protected branch lets Maintainers push).
    const project = s.newProject('protected', { protectedBranches: ['main', { name: 'feature', push: [{ role: 'no one' }] }] });
    const { iid } = await openMergeRequest(s, project);
    s.gitlab.assign(project, iid, ['shepherd-bot']);
    await handedBack(s, project, iid);
    expect(await theExplanation(s, project, iid)).toContain('is protected');
  });

  test('GitLab refusing the merge (405, here a push rule) is explained', async () => {
    s.gitlab.setPipelinePolicy(() => 'manual');
    const project = s.newProject('push-rule');
    const { iid, head } = await openMergeRequest(s, project);
    s.gitlab.assign(project, iid, ['shepherd-bot']);
    const p = await rebasedPipeline(s, project, 'feature', head);
    s.gitlab.setProjectOption(project, { pushRule: { commitMessageRegex: '^JIRA-\\d+', rejectMessage: 'Commit messages must start with a JIRA key' } });
    s.gitlab.finishPipeline(project, p.sha, 'success');
    await handedBack(s, project, iid);
    expect(await theExplanation(s, project, iid)).toMatch(/GitLab refused the merge.*push rule/s);
  });

  test('closing a queued MR, or unassigning the bot, stops silently', async () => {
    s.gitlab.setPipelinePolicy(() => 'manual');
    const project = s.newProject('silent');
    const one = await openMergeRequest(s, project, { branch: 'one' });
    const two = await openMergeRequest(s, project, { branch: 'two' });
    s.gitlab.assign(project, one.iid, ['shepherd-bot']);
    const p = await rebasedPipeline(s, project, 'one', one.head);
    s.gitlab.assign(project, two.iid, ['shepherd-bot']);
    await s.eventually(() => s.botComments(project, two.iid), (c) => c.length === 1); // its place in the queue
    s.gitlab.close(project, two.iid, 'alice');
    s.gitlab.assign(project, one.iid, ['alice']);
    s.gitlab.finishPipeline(project, p.sha, 'success');
    // Its job has stopped (cancelled by the queue, or on seeing the bot unassigned).
    const query = `WorkflowType = "mergeJobWorkflow" AND ShepherdProject = "${project}" AND ShepherdMergeRequest = ${one.iid} AND ExecutionStatus = "Completed"`;
    await s.eventually(async () => (await s.client.workflow.count(query)).count, (n) => n > 0);
    expect(s.gitlab.mergeRequest(project, one.iid).state).toBe('opened');
    expect(s.explanations(project, one.iid)).toEqual([]);
    expect(s.explanations(project, two.iid).filter((n) => !n.body.includes('merge queue'))).toEqual([]);
  });
});

describe('6. approvals: reset timeout, impersonation, rebase-remotely', () => {
  test('impersonate-approvers re-approves as the original approvers after the bot\'s push reset them', async () => {
    const s = await startShepherd({
      botAdmin: true,
      env: { SHEPHERD_IMPERSONATE_APPROVERS: 'true', SHEPHERD_APPROVAL_RESET_TIMEOUT: '1s' },
    });
    try {
      greenCi(s);
      await checkForgePermissions(s.config);
      const project = s.newProject('impersonate', { approvalsRequired: 1, resetApprovalsOnPush: true, approvalResetDelayMs: 300 });
      const { iid } = await openMergeRequest(s, project);
      s.gitlab.approve(project, iid, 'bob');
      s.gitlab.assign(project, iid, ['shepherd-bot']);
      const mr = await merged(s, project, iid);
      expect(mr.approvedBy).toEqual(['bob']);
      expect(s.gitlab.sudoRequests.some((r) => r.as === 'bob' && r.method === 'POST')).toBe(true);
    } finally {
      await s.stop();
    }
  });

  test('impersonate-approvers without a sudo-capable token stops start-up, saying so', async () => {
    const s = await startShepherd({ botAdmin: false, env: { SHEPHERD_IMPERSONATE_APPROVERS: 'true' } });
    try {
      await expect(checkForgePermissions(s.config)).rejects.toThrow(/impersonate-approvers.*sudo/s);
    } finally {
      await s.stop();
    }
  });

  test('rebase-remotely uses GitLab\'s rebase API and still merges what CI tested', async () => {
    const s = await startShepherd({ env: { SHEPHERD_REBASE_REMOTELY: 'true' } });
    try {
      greenCi(s);
      const project = s.newProject('remote');
      const { iid, head } = await openMergeRequest(s, project);
      s.gitlab.assign(project, iid, ['shepherd-bot']);
      const mr = await merged(s, project, iid);
      expect(mr.headSha).not.toBe(head);
      expect(s.gitlab.log(project, 'feature').map((c) => c.sha)).toContain(s.gitlab.log(project, 'main').find((c) => c.subject.startsWith('Move main'))?.sha);
    } finally {
      await s.stop();
    }
  });
});

describe('7. triggers and visibility', () => {
  let s: Shepherd;
  beforeAll(async () => {
    s = await startShepherd({ env: { SHEPHERD_MERGE_LABEL: 'merge-me' } });
  });
  afterAll(() => s.stop());
  beforeEach(() => greenCi(s));

  test('the configured label enqueues an MR like assigning the bot', async () => {
    const project = s.newProject('label');
    const { iid } = await openMergeRequest(s, project);
    s.gitlab.setLabels(project, iid, ['merge-me'], 'alice');
    await merged(s, project, iid);
  });

  test('`@bot merge` from a Developer enqueues it', async () => {
    const project = s.newProject('command');
    const { iid } = await openMergeRequest(s, project);
    s.gitlab.comment(project, iid, 'bob', '@shepherd-bot merge');
    await merged(s, project, iid);
  });

  test('`@bot merge` from a Reporter is refused, saying who may ask', async () => {
    const project = s.newProject('reporter');
    const { iid } = await openMergeRequest(s, project);
    s.gitlab.comment(project, iid, 'rita', '@shepherd-bot merge');
    const notes = await s.eventually(() => s.botComments(project, iid), (n) => n.length >= 1);
    expect(notes[0].body).toContain('at least the Developer role');
    expect(s.gitlab.mergeRequest(project, iid).state).toBe('opened');
  });

  test('`@bot cancel` takes it out of the queue, even mid-CI', async () => {
    s.gitlab.setPipelinePolicy(() => 'manual');
    const project = s.newProject('cancel');
    const { iid, head } = await openMergeRequest(s, project);
    s.gitlab.assign(project, iid, ['shepherd-bot']);
    const p = await rebasedPipeline(s, project, 'feature', head);
    s.gitlab.comment(project, iid, 'alice', '@shepherd-bot cancel');
    await handedBack(s, project, iid);
    s.gitlab.finishPipeline(project, p.sha, 'success');
    await s.eventually(() => s.botComments(project, iid).map((n) => n.body).join('\n'), (t) => t.includes('Taken out of the merge queue'));
    await new Promise((r) => setTimeout(r, 3000)); // a poll interval: it would have merged by now
    expect(s.gitlab.mergeRequest(project, iid).state).toBe('opened');
  });

  test('an enqueued MR hears its position and which MR is being merged; start and merge are said once', async () => {
    s.gitlab.setPipelinePolicy(() => 'manual');
    const project = s.newProject('position');
    const first = await openMergeRequest(s, project, { branch: 'first' });
    const second = await openMergeRequest(s, project, { branch: 'second' });
    s.gitlab.assign(project, first.iid, ['shepherd-bot']);
    const p1 = await rebasedPipeline(s, project, 'first', first.head);
    s.gitlab.assign(project, second.iid, ['shepherd-bot']);
    const queued = await s.eventually(() => s.botComments(project, second.iid), (n) => n.length >= 1);
    expect(queued[0].body).toContain(`Added to the merge queue of \`main\`: next in line. !${first.iid} is being merged now.`);
    s.gitlab.finishPipeline(project, p1.sha, 'success');
    await merged(s, project, first.iid);
    const p2 = await rebasedPipeline(s, project, 'second', second.head);
    s.gitlab.finishPipeline(project, p2.sha, 'success');
    await merged(s, project, second.iid);
    const said = await s.eventually(() => s.botComments(project, second.iid).map((n) => n.body), (b) => b.length >= 3);
    expect(said.filter((b) => b.startsWith('Merging now'))).toHaveLength(1);
    expect(said.filter((b) => b.startsWith('Merged into'))).toHaveLength(1);
  });

  test('different projects are merged in parallel, not one bot loop for everything', async () => {
    s.gitlab.setPipelinePolicy(() => 'manual');
    const a = s.newProject('parallel-a');
    const b = s.newProject('parallel-b');
    const ma = await openMergeRequest(s, a);
    const mb = await openMergeRequest(s, b);
    s.gitlab.assign(a, ma.iid, ['shepherd-bot']);
    s.gitlab.assign(b, mb.iid, ['shepherd-bot']);
    // Both wait for CI at the same time.
    const [pa, pb] = await Promise.all([rebasedPipeline(s, a, 'feature', ma.head), rebasedPipeline(s, b, 'feature', mb.head)]);
    s.gitlab.finishPipeline(a, pa.sha, 'success');
    s.gitlab.finishPipeline(b, pb.sha, 'success');
    await Promise.all([merged(s, a, ma.iid), merged(s, b, mb.iid)]);
  });
});

describe('8. filtering and order', () => {
  test('MRs outside project-regexp / branch-regexp get one comment saying the bot is not configured for them', async () => {
    const s = await startShepherd({ env: { SHEPHERD_BRANCH_REGEXP: 'release-.*' } });
    try {
      greenCi(s);
      const project = s.newProject('scope');
      const { iid } = await openMergeRequest(s, project);
      s.gitlab.assign(project, iid, ['shepherd-bot']);
      await handedBack(s, project, iid);
      const body = await theExplanation(s, project, iid);
      expect(body).toContain('not configured for');
      expect(body).toContain('release-.*');
    } finally {
      await s.stop();
    }
  });

  test('merge-order decides which waiting MR goes next (created_at by default)', async () => {
    const s = await startShepherd();
    try {
      s.gitlab.setPipelinePolicy(() => 'manual');
      const project = s.newProject('order');
      const blocker = await openMergeRequest(s, project, { branch: 'blocker' });
      const older = await openMergeRequest(s, project, { branch: 'older' });
      const newer = await openMergeRequest(s, project, { branch: 'newer' });
      s.gitlab.assign(project, blocker.iid, ['shepherd-bot']);
      await rebasedPipeline(s, project, 'blocker', blocker.head);
      // Assigned newest first; created oldest first wins.
      s.gitlab.assign(project, newer.iid, ['shepherd-bot']);
      await s.eventually(() => s.botComments(project, newer.iid), (n) => n.length === 1);
      s.gitlab.assign(project, older.iid, ['shepherd-bot']);
      const queue = s.client.workflow.getHandle(mergeQueueWorkflowId('gitlab', project, 'main'));
      const waiting = (q: QueueSnapshot) => q.entries.filter((e) => e.state === 'waiting');
      const snap = await s.eventually(() => queue.query(snapshotQuery), (q) => waiting(q).length === 2);
      expect(waiting(snap).map((e) => e.ref.iid)).toEqual([older.iid, newer.iid]);
      await queue.terminate('test over');
    } finally {
      await s.stop();
    }
  });
});
