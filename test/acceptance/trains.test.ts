// Batches and merge trains end to end: Shepherd as users run it, against the fake GitLab with
// real git repositories and pipelines whose result depends on the tree they test. Hooks arrive
// as GitLab sends them (any order, some twice, some never).
import { execFileSync } from 'node:child_process';
import type { FakePipeline } from '../fakes/gitlab';
import type { Shepherd } from '../e2e/harness';
import { handedBack, merged, startShepherd } from './helpers';

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
    files: { [`src/${name}.txt`]: opts.bad ? `${name} ${BROKEN}\n` : `${name}\n` },
    message: `Change ${name}`,
    author: 'alice',
  });
  return s.gitlab.createMergeRequest(project, { sourceBranch: name, title: `Change ${name}`, author: 'alice' }).iid;
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
    s = await startShepherd({ env: { SHEPHERD_QUEUE_MODE: 'batch', SHEPHERD_BATCH_MIN_WAIT: '3s' } });
  });
  afterAll(() => s.stop());

  test('a batch of 4 is tested once, together, and all 4 land on exactly the tested commit', async () => {
    const project = s.newProject('batch-of-4');
    ciOnTree(s, project);
    const before = s.gitlab.branchHead(project, 'main') as string;
    const iids = [];
    for (const name of ['one', 'two', 'three', 'four']) iids.push(await openChange(s, project, name));
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
});
