// Batches and merge trains end to end: Shepherd as users run it, against the fake GitLab with
// real git repositories and pipelines whose result depends on the tree they test. Hooks arrive
// as GitLab sends them (any order, some twice, some never).
import { execFileSync } from 'node:child_process';
import type { FakePipeline } from '../fakes/gitlab';
import type { Shepherd } from '../e2e/harness';
import { mergeQueueWorkflowId } from '../../src/domain/workflowIds';
import { snapshotQuery } from '../../src/temporal/messages';
import { queueModeWarnings } from '../../src/worker';
import { startShepherd } from './helpers';

// A test waits on several pipelines, some of them one after another, on a machine that runs
// other suites at the same time.
jest.setTimeout(300_000);

// A lost hook is made up for by polling (pipelines every ci-poll-interval, merge requests every
// 2 s), and a loaded machine is slow to rebase and push: waits here allow for both.
const LOST_HOOK_MS = 150_000;

function merged(s: Shepherd, project: string, iid: number) {
  return s.waitForMergeRequest(project, iid, (m) => m.state === 'merged', LOST_HOOK_MS);
}

function handedBack(s: Shepherd, project: string, iid: number) {
  return s.waitForMergeRequest(project, iid, (m) => !m.assignees.includes('shepherd-bot'), LOST_HOOK_MS);
}

/** A tree with this text in a file under src/ fails CI: a bad merge request brings it. */
const BROKEN = 'BROKEN';

function treeIsBroken(repoDir: string, sha: string): boolean {
  try {
    execFileSync('git', ['-C', repoDir, 'grep', '-q', BROKEN, sha, '--', 'src'], { stdio: 'ignore' });
    return true;
  } catch {
    return false; // git grep exits 1 when nothing matches
  }
}

/**
 * CI as a project has it: every pipeline tests its tree, taking `ms` (main's own pipelines are
 * not run); `flaky(p)` fails a pipeline's first run whatever the tree.
 */
function ciOnTree(s: Shepherd, project: string, opts: { ms?: number; flaky?: (p: { sha: string; ref: string }) => boolean } = {}): void {
  const repoDir = s.gitlab.project(project).repoDir;
  s.gitlab.setPipelinePolicy((p) => {
    if (p.ref === 'main') return 'manual';
    const failed = treeIsBroken(repoDir, p.sha) || (p.run === 1 && (opts.flaky?.(p) ?? false));
    return { status: failed ? 'failed' : 'success', afterMs: opts.ms ?? 400 };
  });
}

/** Alice's merge request changing its own file (`bad`: it breaks CI). */
async function openChange(s: Shepherd, project: string, name: string, opts: { bad?: boolean } = {}): Promise<number> {
  await s.gitlab.commit(project, name, {
    files: { [`src/changes/${name}.txt`]: opts.bad ? `${name} ${BROKEN}\n` : `${name}\n` },
    message: `Change ${name}`,
    author: 'alice',
  });
  return s.gitlab.createMergeRequest(project, { sourceBranch: name, title: `Change ${name}`, author: 'alice' }).iid;
}

/**
 * Asks the bot to merge each MR in turn, each once the one before is in the queue: a train's
 * order is the order requests reach it, and hooks reach it in any order.
 */
async function askInOrder(s: Shepherd, project: string, iids: number[]): Promise<void> {
  const queue = s.client.workflow.getHandle(mergeQueueWorkflowId('gitlab', project, 'main'));
  for (const iid of iids) {
    s.gitlab.assign(project, iid, ['shepherd-bot'], 'alice');
    await s.eventually(
      () => queue.query(snapshotQuery).then((q) => q.entries.map((e) => e.ref.iid), () => [] as number[]),
      (queued) => queued.includes(iid),
      LOST_HOOK_MS,
    );
  }
}

/** Everything the bot said on the MR, once it has said `expected`. */
async function saidOn(s: Shepherd, project: string, iid: number, expected: RegExp): Promise<string> {
  return s.eventually(() => s.botComments(project, iid).map((n) => n.body).join('\n'), (text) => expected.test(text));
}

function statePipelines(s: Shepherd, project: string): FakePipeline[] {
  return s.gitlab.pipelines(project).filter((p) => p.ref.startsWith('shepherd/batch/main/'));
}

/** Main only ever pointed at commits whose pipeline passed on exactly that commit. */
function expectMainOnlyAtTestedCommits(s: Shepherd, project: string, before: string): void {
  const passed = new Set(statePipelines(s, project).filter((p) => p.status === 'success').map((p) => p.sha));
  const firstParents = execFileSync('git', ['-C', s.gitlab.project(project).repoDir, 'rev-list', '--first-parent', `${before}..main`], { encoding: 'utf8' })
    .trim()
    .split('\n');
  expect(passed.has(firstParents[0])).toBe(true);
}

describe('batch mode', () => {
  let s: Shepherd;
  beforeAll(async () => {
    // A batch waits for all 4 (lost hooks are found by polling), so what it holds does not
    // depend on when hooks happen to arrive.
    s = await startShepherd({
      env: {
        SHEPHERD_QUEUE_MODE: 'batch',
        SHEPHERD_CI_POLL_INTERVAL: '5s',
        SHEPHERD_MAX_BATCH_SIZE: '4',
        SHEPHERD_BATCH_MIN_WAIT: '2min',
        SHEPHERD_ADD_REVIEWERS: 'true',
        SHEPHERD_ADD_PART_OF: 'true',
        SHEPHERD_ADD_TESTED: 'true',
        SHEPHERD_QUEUE_OVERRIDES: 'group/refusals batch-min-wait=0s max-batch-size=8',
      },
    });
  });
  afterAll(() => s.stop());

  test('a batch of 4 is tested once, together, and all 4 land on exactly the tested commit', async () => {
    const project = s.newProject('batch-of-4');
    ciOnTree(s, project);
    const before = s.gitlab.branchHead(project, 'main') as string;
    const iids = [];
    for (const name of ['one', 'two', 'three', 'four']) iids.push(await openChange(s, project, name));
    s.gitlab.approve(project, iids[1], 'bob');
    for (const iid of iids) s.gitlab.assign(project, iid, ['shepherd-bot'], 'alice');

    for (const iid of iids) await merged(s, project, iid);

    const states = statePipelines(s, project);
    expect(states).toHaveLength(1);
    expect(states[0].status).toBe('success');
    expect(s.gitlab.branchHead(project, 'main')).toBe(states[0].sha);
    expectMainOnlyAtTestedCommits(s, project, before);
    for (const iid of iids) {
      const said = await saidOn(s, project, iid, /Merged into `main`/);
      expect(said).toMatch(/in a batch together with/);
      expect(said).toContain(states[0].webUrl);
      expect(said).toMatch(/Merged into `main`/);
    }
    // The trailers of serial mode are in the tested commits, so in what landed.
    const landed = s.gitlab.log(project, 'main').slice(0, 4).reverse();
    expect(landed.map((c) => c.subject)).toEqual(['Change one', 'Change two', 'Change three', 'Change four']);
    for (const [i, c] of landed.entries()) {
      const url = s.gitlab.mergeRequest(project, iids[i]).webUrl;
      const body = await s.gitlab.commitMessage(project, c.sha);
      expect(body).toContain(`Part-of: <${url}>`);
      expect(body).toContain(`Tested-by: Shepherd <${url}>`);
      if (i === 1) expect(body).toContain('Reviewed-by: Bob Reviewer <bob@example.com>');
      else expect(body).not.toContain('Reviewed-by');
    }
  });

  test('a batch with one bad merge request is bisected: the other 3 land, the culprit hears why', async () => {
    const project = s.newProject('batch-bisect');
    ciOnTree(s, project);
    const names = ['alpha', 'beta', 'gamma', 'delta'];
    const iids: number[] = [];
    for (const name of names) iids.push(await openChange(s, project, name, { bad: name === 'gamma' }));
    for (const iid of iids) s.gitlab.assign(project, iid, ['shepherd-bot'], 'alice');
    const culprit = iids[2];

    for (const iid of iids.filter((i) => i !== culprit)) await merged(s, project, iid);
    await handedBack(s, project, culprit);

    expect(s.gitlab.mergeRequest(project, culprit).state).toBe('opened');
    const failedAlone = statePipelines(s, project).filter((p) => p.status === 'failed');
    const explanation = await saidOn(s, project, culprit, /CI failed when I tested it/);
    expect(explanation).toMatch(/CI failed when I tested it/);
    expect(failedAlone.some((p) => explanation.includes(p.webUrl))).toBe(true);
    const head = s.gitlab.branchHead(project, 'main') as string;
    expect(treeIsBroken(s.gitlab.project(project).repoDir, head)).toBe(false);
    expect(statePipelines(s, project).some((p) => p.sha === head && p.status === 'success')).toBe(true);
  });

  test('refusals are found before a batch runs and explained as in serial mode: a draft, a conflict while combining; the rest land together', async () => {
    const project = s.newProject('refusals');
    const repoDir = s.gitlab.project(project).repoDir;
    s.gitlab.setPipelinePolicy((p) => (p.ref.startsWith('shepherd/batch/') ? 'manual' : { status: 'success', afterMs: 100 }));
    const ok0 = await openChange(s, project, 'ok0');
    await askInOrder(s, project, [ok0]);
    // The first batch holds ok0 alone; the others gather behind it and form the next one.
    const [first] = await s.eventually(() => statePipelines(s, project), (ps) => ps.length === 1);
    await s.gitlab.commit(project, 'drafty', { files: { 'src/changes/drafty.txt': 'drafty\n' }, message: 'Change drafty', author: 'alice' });
    const drafty = s.gitlab.createMergeRequest(project, { sourceBranch: 'drafty', title: 'Change drafty', author: 'alice', draft: true }).iid;
    const clashes: number[] = [];
    for (const name of ['clash1', 'clash2']) {
      await s.gitlab.commit(project, name, {
        files: { [`src/changes/${name}.txt`]: `${name}\n`, 'src/app.txt': `line 1\n${name}\nline 3\n` },
        message: `Change ${name}`,
        author: 'alice',
      });
      clashes.push(s.gitlab.createMergeRequest(project, { sourceBranch: name, title: `Change ${name}`, author: 'alice' }).iid);
    }
    const ok1 = await openChange(s, project, 'ok1');
    await askInOrder(s, project, [drafty, ...clashes, ok1]);
    ciOnTree(s, project);
    s.gitlab.finishPipeline(project, first.id, 'success');

    for (const iid of [ok0, clashes[0], ok1]) await merged(s, project, iid);
    await handedBack(s, project, drafty);
    await handedBack(s, project, clashes[1]);

    expect(await saidOn(s, project, drafty, /draft/)).toMatch(/it is marked as draft\. Mark it as ready/);
    const conflict = await saidOn(s, project, clashes[1], /conflicts with/);
    expect(conflict).toMatch(/conflicts with `main`/);
    expect(conflict).toContain('`src/app.txt`');
    // Neither ever rode in a tested state; the two that could ride went together, in one pipeline.
    const held = statePipelines(s, project).map((p) => ({ p, holds: changesIn(repoDir, p.sha) }));
    expect(held.filter((t) => t.holds.includes('drafty') || t.holds.includes('clash2'))).toEqual([]);
    const last = held.find((t) => t.p.sha === s.gitlab.branchHead(project, 'main'));
    expect(last?.p.status).toBe('success');
    expect(last?.holds).toEqual(['clash1', 'ok0', 'ok1']);
    expect(s.gitlab.mergeRequest(project, drafty).state).toBe('opened');
  });
});

/** The src/ files of a commit's tree: which merge requests a tested state holds. */
function changesIn(repoDir: string, sha: string): string[] {
  let listing = '';
  try {
    listing = execFileSync('git', ['-C', repoDir, 'ls-tree', '--name-only', `${sha}:src/changes`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return []; // no merge request's change in it
  }
  return listing
    .split('\n')
    .filter((f) => f.endsWith('.txt'))
    .map((f) => f.replace(/\.txt$/, ''))
    .sort();
}

/** Subjects of main's commits since `before`, oldest first. */
function landedSubjects(s: Shepherd, project: string, before: string): string[] {
  return execFileSync('git', ['-C', s.gitlab.project(project).repoDir, 'log', '--reverse', '--format=%s', `${before}..main`], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .filter(Boolean);
}

describe('a project not set up for landing tested states', () => {
  let s: Shepherd;
  beforeAll(async () => {
    s = await startShepherd({ env: { SHEPHERD_QUEUE_MODE: 'train' } });
  });
  afterAll(() => s.stop());

  test('start-up names the project and what to change; its merge requests are refused saying the same', async () => {
    // The bot is only a Developer, and main lets Maintainers push: the bot may merge, not push.
    const project = s.newProject('not-set-up', { members: { 'shepherd-bot': 'developer', alice: 'developer' } });
    ciOnTree(s, project);

    const warnings = await queueModeWarnings(s.config);
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`^${project}: the queue of \`main\` is in train mode.*may not push there.*Maintainer`))]);

    const iid = await openChange(s, project, 'x1');
    s.gitlab.assign(project, iid, ['shepherd-bot'], 'alice');
    await handedBack(s, project, iid);
    expect(await saidOn(s, project, iid, /may not push there/)).toMatch(/Protected branches/);
    expect(statePipelines(s, project)).toEqual([]);
  });
});

describe('train mode', () => {
  let s: Shepherd;
  beforeAll(async () => {
    s = await startShepherd({
      env: {
        SHEPHERD_QUEUE_MODE: 'train',
        SHEPHERD_CI_POLL_INTERVAL: '5s',
        // The fallback for a lost push hook: the queue looks at the target this often.
        SHEPHERD_QUEUE_CHECK_INTERVAL: '5s',
        SHEPHERD_QUEUE_OVERRIDES: [
          'group/train-of-5 max-parallel-pipelines=5',
          'group/priority max-parallel-pipelines=2',
          'group/flaky ci-retries=1',
          'group/killed max-parallel-pipelines=3',
          'group/moved max-parallel-pipelines=3',
        ].join('; '),
      },
    });
  });
  afterAll(() => s.stop());

  test('a train of 5 with the 2nd bad: 1, 3, 4 and 5 land, only 3 to 5 are tested again, without it', async () => {
    const project = s.newProject('train-of-5');
    s.gitlab.setPipelinePolicy((p) => (p.ref.startsWith('shepherd/batch/') ? 'manual' : { status: 'success', afterMs: 100 }));
    const repoDir = s.gitlab.project(project).repoDir;
    const before = s.gitlab.branchHead(project, 'main') as string;
    const names = ['m1', 'm2', 'm3', 'm4', 'm5'];
    const iids: number[] = [];
    for (const name of names) iids.push(await openChange(s, project, name, { bad: name === 'm2' }));
    await askInOrder(s, project, iids);
    // All 5 ride at once (K = 5); CI then answers for each tree, the head's first.
    const firstRound = await s.eventually(() => statePipelines(s, project), (ps) => ps.length === 5);
    await saidOn(s, project, iids[2], /in the merge train/);
    ciOnTree(s, project);
    for (const p of firstRound) s.gitlab.finishPipeline(project, p.id, treeIsBroken(repoDir, p.sha) ? 'failed' : 'success');

    for (const iid of [iids[0], iids[2], iids[3], iids[4]]) await merged(s, project, iid);
    await handedBack(s, project, iids[1]);

    expect(landedSubjects(s, project, before)).toEqual(['Change m1', 'Change m3', 'Change m4', 'Change m5']);
    const tested = statePipelines(s, project).map((p) => ({ p, holds: changesIn(repoDir, p.sha) }));
    // The entries ahead of the bad one are never tested again; those behind are, without it.
    expect(tested.filter((t) => t.holds.join() === 'm1')).toHaveLength(1);
    expect(tested.filter((t) => t.holds.join() === 'm1,m2')).toHaveLength(1);
    for (const later of ['m1,m3', 'm1,m3,m4', 'm1,m3,m4,m5']) {
      expect(tested.filter((t) => t.holds.join() === later && t.p.status === 'success')).toHaveLength(1);
    }
    const explanation = await saidOn(s, project, iids[1], /CI failed when I tested it/);
    const failedOwn = tested.find((t) => t.holds.join() === 'm1,m2');
    expect(explanation).toContain(failedOwn?.p.webUrl);
    // m3 hears where it rides: third, on top of m1 and m2; then again, tested without m2.
    const testing = s.botComments(project, iids[2]).map((n) => n.body).filter((b) => /in the merge train/.test(b));
    expect(testing[0]).toMatch(new RegExp(`number 3 in the merge train of \`main\`.*together with !${iids[0]}, !${iids[1]}\\.`));
    expect(testing.length).toBeGreaterThanOrEqual(2);
    expect(testing[testing.length - 1]).not.toContain(`!${iids[1]}`);
    expectMainOnlyAtTestedCommits(s, project, before);
  });

  test('a priority merge request goes ahead of the waiting ones without cancelling what runs ahead of it', async () => {
    const project = s.newProject('priority');
    s.gitlab.setPipelinePolicy((p) => (p.ref.startsWith('shepherd/batch/') ? 'manual' : { status: 'success', afterMs: 100 }));
    const before = s.gitlab.branchHead(project, 'main') as string;
    const iids: number[] = [];
    for (const name of ['p1', 'p2', 'p3', 'p4']) iids.push(await openChange(s, project, name));
    await askInOrder(s, project, iids);
    // p1 and p2 ride (K = 2) while p3 and p4 wait; then the urgent one is asked for with priority.
    const riding = await s.eventually(() => statePipelines(s, project), (ps) => ps.length === 2);
    const urgent = await openChange(s, project, 'urgent');
    s.gitlab.comment(project, urgent, 'alice', '@shepherd-bot merge priority=high');
    const queue = s.client.workflow.getHandle(mergeQueueWorkflowId('gitlab', project, 'main'));
    const waiting = await s.eventually(
      () => queue.query(snapshotQuery).then((q) => q.train?.waiting ?? []),
      (w) => w.includes(urgent),
    );
    expect(waiting).toEqual([urgent, iids[2], iids[3]]);
    ciOnTree(s, project);
    for (const p of riding) s.gitlab.finishPipeline(project, p.id, 'success');

    for (const iid of [...iids, urgent]) await merged(s, project, iid);

    expect(landedSubjects(s, project, before)).toEqual(['Change p1', 'Change p2', 'Change urgent', 'Change p3', 'Change p4']);
    // Nothing that rode ahead of it was stopped or tested again.
    expect(statePipelines(s, project).filter((p) => p.status === 'canceled')).toEqual([]);
    expect(statePipelines(s, project)).toHaveLength(5);
  });

  test('a flaky pipeline is retried (ci-retries 1) and nobody is ejected', async () => {
    const project = s.newProject('flaky');
    const repoDir = s.gitlab.project(project).repoDir;
    ciOnTree(s, project, { flaky: (p) => p.ref.startsWith('shepherd/batch/') && changesIn(repoDir, p.sha).join() === 'f1' });
    const iids: number[] = [];
    for (const name of ['f1', 'f2']) iids.push(await openChange(s, project, name));
    await askInOrder(s, project, iids);

    for (const iid of iids) await merged(s, project, iid);

    const retried = statePipelines(s, project).filter((p) => p.runs === 2);
    expect(retried).toHaveLength(1);
    expect(await saidOn(s, project, iids[0], /retrying the pipeline, 1 of 1/)).toContain(retried[0].webUrl);
    expect(s.botComments(project, iids[0]).map((n) => n.body).join('\n')).not.toMatch(/couldn't merge/);
  });

  test('a failed entry whose larger state behind it passed lands with it (train-optimistic), and is told so', async () => {
    const project = s.newProject('optimistic');
    s.gitlab.setPipelinePolicy((p) => (p.ref.startsWith('shepherd/batch/') ? 'manual' : { status: 'success', afterMs: 100 }));
    const repoDir = s.gitlab.project(project).repoDir;
    const iids: number[] = [];
    for (const name of ['o1', 'o2']) iids.push(await openChange(s, project, name));
    await askInOrder(s, project, iids);
    const [alone, both] = await s.eventually(
      () => statePipelines(s, project).sort((a, b) => changesIn(repoDir, a.sha).length - changesIn(repoDir, b.sha).length),
      (ps) => ps.length === 2,
    );
    s.gitlab.finishPipeline(project, both.id, 'success');
    await s.eventually(() => s.client.workflow.getHandle(mergeQueueWorkflowId('gitlab', project, 'main')).query(snapshotQuery), (q) => q.train?.cars[1]?.status === 'passed');
    s.gitlab.finishPipeline(project, alone.id, 'failed'); // a flaky failure: the larger state passed

    for (const iid of iids) await merged(s, project, iid);
    expect(s.gitlab.branchHead(project, 'main')).toBe(both.sha);
    expect(await saidOn(s, project, iids[0], /Merged into/)).toMatch(new RegExp(`Its own pipeline failed \\(${alone.webUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\).*train-optimistic`, 's'));
  });

  test('the worker killed with 3 pipelines in flight loses nothing and lands nothing untested', async () => {
    const project = s.newProject('killed');
    s.gitlab.setPipelinePolicy((p) => (p.ref.startsWith('shepherd/batch/') ? 'manual' : { status: 'success', afterMs: 100 }));
    const before = s.gitlab.branchHead(project, 'main') as string;
    const iids: number[] = [];
    for (const name of ['k1', 'k2', 'k3']) iids.push(await openChange(s, project, name));
    await askInOrder(s, project, iids);
    const inFlight = await s.eventually(() => statePipelines(s, project), (ps) => ps.length === 3);

    // CI finishes while no worker runs; the queue and its cars pick up where they were.
    await s.restartWorker(async () => {
      for (const p of inFlight) s.gitlab.finishPipeline(project, p.id, 'success');
      await s.gitlab.webhooksIdle();
    });

    for (const iid of iids) await merged(s, project, iid);
    expect(statePipelines(s, project)).toHaveLength(3);
    expect(s.gitlab.branchHead(project, 'main')).toBe(inFlight.find((p) => changesIn(s.gitlab.project(project).repoDir, p.sha).length === 3)?.sha);
    expect(landedSubjects(s, project, before)).toEqual(['Change k1', 'Change k2', 'Change k3']);
  });

  test('a person pushing to main during a train restarts the train on top of it; main only holds tested states', async () => {
    const project = s.newProject('moved');
    s.gitlab.setPipelinePolicy((p) => (p.ref.startsWith('shepherd/batch/') ? 'manual' : { status: 'success', afterMs: 100 }));
    const iids: number[] = [];
    for (const name of ['t1', 't2', 't3']) iids.push(await openChange(s, project, name));
    await askInOrder(s, project, iids);
    const first = await s.eventually(() => statePipelines(s, project), (ps) => ps.length === 3);

    ciOnTree(s, project);
    const bobs = await s.gitlab.commit(project, 'main', { files: { 'docs/urgent.md': 'fix\n' }, message: 'Urgent fix by hand', author: 'bob' });

    for (const iid of iids) await merged(s, project, iid);
    // What the push made stale was stopped, never landed; the states on top of Bob's commit landed.
    const firstNow = s.gitlab.pipelines(project).filter((p) => first.some((f) => f.id === p.id));
    expect(firstNow.map((p) => p.status)).toEqual(['canceled', 'canceled', 'canceled']);
    const head = s.gitlab.branchHead(project, 'main') as string;
    expect(statePipelines(s, project).find((p) => p.sha === head)?.status).toBe('success');
    expect(landedSubjects(s, project, bobs)).toEqual(['Change t1', 'Change t2', 'Change t3']);
  });
});
