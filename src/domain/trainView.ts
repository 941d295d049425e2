// What a batch or train queue shows of itself (its query answers this): every car with its
// entries, state and pipeline, for people, the Web UI and the queue page.
import type { CarStatus, QueueMode, TrainSnapshot } from './mergeTrain';

export interface TrainCarView {
  id: number;
  /** This car's own merge requests. */
  iids: number[];
  /** Everything its commit contains: the target + these, in order. */
  state: number[];
  /**
   * What its commit was built with, on top of the target as it was then: `state` plus any cars
   * ahead that have landed since (their pipeline tested them too).
   */
  tested: number[];
  status: CarStatus;
  probe: boolean;
  sha?: string;
  pipelineUrl?: string;
  /** Pipeline runs on `sha` so far (1 + ci-retries used). */
  runs: number;
}

export interface TrainView {
  mode: QueueMode;
  /** Cars in train order; the first one lands next. */
  cars: TrainCarView[];
  /** Merge requests tested alone, off the train. */
  probes: TrainCarView[];
  /** Failed cars held until the cars ahead of them are decided. */
  heldBack: TrainCarView[];
  /** Halves of a failed batch still to be tested. */
  bisecting: number[][];
  waiting: number[];
  /** Pipelines in flight at most right now (adaptive trains move it). */
  window: number;
}

export function trainView(
  s: TrainSnapshot,
  extra: { mode: QueueMode; pipelines: ReadonlyMap<number, string | undefined>; tested?: ReadonlyMap<number, readonly number[]> },
): TrainView {
  let stacked: number[] = [];
  const view = (c: TrainSnapshot['cars'][number], state: number[]): TrainCarView => {
    const url = extra.pipelines.get(c.id);
    return {
      id: c.id,
      iids: [...c.iids],
      state,
      tested: [...(extra.tested?.get(c.id) ?? state)],
      status: c.status,
      probe: c.probe,
      ...(c.sha ? { sha: c.sha } : {}),
      ...(url ? { pipelineUrl: url } : {}),
      runs: c.runs,
    };
  };
  return {
    mode: extra.mode,
    cars: s.cars.map((c) => {
      stacked = [...stacked, ...c.iids];
      return view(c, stacked);
    }),
    probes: s.probes.map((c) => view(c, [...c.iids])),
    heldBack: s.aside.map((a) => view(a.car, [...a.car.iids])),
    bisecting: s.groups.map((g) => [...g]),
    waiting: s.waiting.map((e) => e.iid),
    window: s.windowSize,
  };
}
