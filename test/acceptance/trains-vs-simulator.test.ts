// The benchmark measures the code that runs: one scenario (20 merge requests, some bad, flaky
// CI) goes through the simulator of bench/queue and through Shepherd itself (the queue, car and
// land workflows against the fake GitLab, real git, real pipelines), and both land the same merge
// requests in the same order, hand back the same ones and run the same number of pipelines.
//
// The real run follows the scenario's virtual time: the test is the clock. It moves time on only
// when Shepherd has done everything the last event asked for (nothing building or landing, every
// running state's pipeline visible, every finished pipeline taken in), then performs the next
// event of the scenario: an MR asked for, or the pipeline that finishes first, passing or failing
// as the scenario's CI model says for that state and run.
import { execFileSync } from 'node:child_process';
import { arrivalsOf, pipelineRun, simulate, type Scenario } from '../../bench/queue/simulate';
import { DEFAULT_TRAIN_SETTINGS, type TrainSettings } from '../../src/domain/mergeTrain';
import type { TrainCarView } from '../../src/domain/trainView';
import { mergeQueueWorkflowId } from '../../src/domain/workflowIds';
import { snapshotQuery } from '../../src/temporal/messages';
import type { Shepherd } from '../e2e/harness';
import { startShepherd } from './helpers';

jest.setTimeout(600_000);

// Seed 37 has two bad MRs and one good MR that fails by flakiness twice (ci-retries 1): it is
// handed back although it was good, so both runs only agree if they test the very same states.
const SCENARIO: Scenario = { lambda: 2, p: 0.2, flaky: 0.1, horizon: Infinity, mergeRequests: 20, seed: 37, maxResubmits: 0 };
const SETTINGS: TrainSettings = { ...DEFAULT_TRAIN_SETTINGS, mode: 'train', maxParallelPipelines: 4, ciRetries: 1, window: 'fixed', optimistic: true };

interface Running {
  pipelineId: number;
  car: number;
  run: number;
  passed: boolean;
  finishAt: number;
}

describe('the simulator and the real queue agree', () => {
  let s: Shepherd;
  beforeAll(async () => {
    s = await startShepherd({
      // The pipelines here end when the simulated clock says so, however long the wall clock
      // takes on a loaded machine: a CI timeout (the harness's 2 minutes) would fire on its own
      // clock, retry a pipeline that is still running and part the queue from the simulator.
      env: { SHEPHERD_QUEUE_MODE: 'train', SHEPHERD_MAX_PARALLEL_PIPELINES: '4', SHEPHERD_CI_RETRIES: '1', SHEPHERD_CI_POLL_INTERVAL: '2s', SHEPHERD_CI_TIMEOUT: '6h' },
    });
  });
  afterAll(() => s.stop());

  test('20 merge requests with bad and flaky ones: the same landings, hand-backs and pipeline runs', async () => {
    const sim = simulate(SETTINGS, SCENARIO);
    const arrivals = arrivalsOf(SCENARIO);
    const bad = new Set(arrivals.filter((a) => a.bad).map((a) => a.iid));
    // What makes the scenario worth running: bad MRs, and a good one handed back by flakiness.
    expect(arrivals).toHaveLength(20);
    expect(bad.size).toBeGreaterThanOrEqual(2);
    expect(sim.finalEjections.some((iid) => !bad.has(iid))).toBe(true);

    const project = s.newProject('cross-check');
    const repoDir = s.gitlab.project(project).repoDir;
    s.gitlab.setPipelinePolicy((p) => (p.ref.startsWith('shepherd/batch/') || p.ref === 'main' ? 'manual' : { status: 'success', afterMs: 50 }));
    const before = s.gitlab.branchHead(project, 'main') as string;
    // Scenario MR n is the project's MR realIid[n]; a bad one breaks the build it is in.
    const realIid = new Map<number, number>();
    const simIid = new Map<number, number>();
    for (const a of arrivals) {
      const name = `c${a.iid}`;
      await s.gitlab.commit(project, name, { files: { [`src/changes/${name}.txt`]: a.bad ? `${name} BROKEN\n` : `${name}\n` }, message: `Change ${name}`, author: 'alice' });
      const iid = s.gitlab.createMergeRequest(project, { sourceBranch: name, title: `Change ${name}`, author: 'alice' }).iid;
      realIid.set(a.iid, iid);
      simIid.set(iid, a.iid);
    }

    const queue = s.client.workflow.getHandle(mergeQueueWorkflowId('gitlab', project, 'main'));
    const running = new Map<string, Running>();
    const released: Array<{ car: number; run: number }> = [];
    const starts = new Map<string, number>();
    const arrived: number[] = [];
    const runs: string[] = [];
    const untested: string[] = [];
    let now = 0;
    let next = 0;

    const ended = (iid: number): boolean => {
      const mr = s.gitlab.mergeRequest(project, iid);
      return mr.state === 'merged' || !mr.assignees.includes('shepherd-bot');
    };
    /**
     * '' once Shepherd has done all the last event asked for (then the pipelines it started are
     * on the clock), else what it is still doing.
     */
    const settled = async (): Promise<string> => {
      const q = await queue.query(snapshotQuery).catch(() => undefined);
      const t = q?.train;
      if (!q || !t) return arrived.length === 0 ? '' : 'no queue yet';
      const queued = new Set(q.entries.map((e) => e.ref.iid));
      const unseen = arrived.filter((iid) => !queued.has(iid) && !ended(iid));
      if (unseen.length > 0) return `not queued yet: ${unseen.join()}`;
      const cars: TrainCarView[] = [...t.cars, ...t.probes];
      const busy = cars.filter((c) => c.status === 'building' || c.status === 'landing');
      if (busy.length > 0 || t.bisecting.length > 0) return `cars ${busy.map((c) => `${c.id} ${c.status}`).join(', ')}`;
      const testing = cars.filter((c) => c.status === 'testing');
      const untaken = released.filter((r) => testing.some((c) => c.id === r.car && c.runs === r.run));
      if (untaken.length > 0) return `finished pipelines not taken in: cars ${untaken.map((r) => r.car).join()}`;
      const states = s.gitlab.pipelines(project).filter((p) => p.ref.startsWith('shepherd/batch/'));
      for (const c of testing) {
        const p = states.filter((x) => x.sha === c.sha).at(-1);
        if (!p || p.runs !== c.runs || !['created', 'pending', 'running'].includes(p.status)) return `no running pipeline for car ${c.id} run ${c.runs}`;
      }
      // Settled: pipelines of cars that were cancelled or replaced are gone from the clock.
      for (const [key, r] of running) if (!testing.some((c) => c.id === r.car && c.runs === r.run)) running.delete(key);
      for (const c of testing) {
        const key = `${c.id}:${c.runs}`;
        if (running.has(key) || released.some((r) => r.car === c.id && r.run === c.runs)) continue;
        const state = c.tested.map((iid) => simIid.get(iid) as number);
        // The tested commit holds what the queue says it tests.
        const tree = execFileSync('git', ['-C', repoDir, 'ls-tree', '--name-only', `${c.sha}:src/changes`], { encoding: 'utf8' }).split('\n');
        for (const n of state) if (!tree.includes(`c${n}.txt`)) untested.push(`car ${c.id} lacks c${n}`);
        const k = (starts.get(state.join(',')) ?? 0) + 1;
        starts.set(state.join(','), k);
        const { passed, duration } = pipelineRun(SCENARIO, state, k, (iid) => bad.has(iid));
        const p = states.filter((x) => x.sha === c.sha).at(-1);
        running.set(key, { pipelineId: p?.id as number, car: c.id, run: c.runs, passed, finishAt: now + duration });
        runs.push(`${state.join(',')}#${k}`);
      }
      return '';
    };

    for (;;) {
      await s.eventually(settled, (doing) => doing === '', 120_000);
      const finishing = [...running.values()].sort((a, b) => a.finishAt - b.finishAt)[0];
      const arrival = arrivals[next];
      if (!finishing && !arrival) break;
      if (arrival && (!finishing || arrival.at <= finishing.finishAt)) {
        now = arrival.at;
        next++;
        const iid = realIid.get(arrival.iid) as number;
        s.gitlab.assign(project, iid, ['shepherd-bot'], 'alice');
        arrived.push(iid);
      } else {
        now = finishing.finishAt;
        running.delete(`${finishing.car}:${finishing.run}`);
        released.push({ car: finishing.car, run: finishing.run });
        s.gitlab.finishPipeline(project, finishing.pipelineId, finishing.passed ? 'success' : 'failed');
      }
    }
    for (const iid of arrived) await s.waitForMergeRequest(project, iid, () => ended(iid));

    const landed = execFileSync('git', ['-C', repoDir, 'log', '--reverse', '--format=%s', `${before}..main`], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((subject) => Number(subject.replace(/^Change c/, '')));
    expect(untested).toEqual([]);
    // The same states tested, as often, so the same luck; then the same outcome.
    expect([...runs].sort()).toEqual([...sim.runs].sort());
    expect(landed).toEqual(sim.landings);
    const handedBack = arrived.filter((iid) => s.gitlab.mergeRequest(project, iid).state !== 'merged').map((iid) => simIid.get(iid));
    expect(handedBack.sort((a, b) => (a as number) - (b as number))).toEqual([...sim.finalEjections].sort((a, b) => a - b));
    const pipelineRuns = s.gitlab
      .pipelines(project)
      .filter((p) => p.ref.startsWith('shepherd/batch/'))
      .reduce((n, p) => n + p.runs, 0);
    expect(pipelineRuns).toBe(sim.ciRuns);
  });
});
