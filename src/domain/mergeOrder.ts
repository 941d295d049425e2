// The order the merge queue takes merge requests in, as marge-bot's `--merge-order`.

/** `high` goes ahead of every `normal` entry that waits (`@bot merge priority=high`, priority-label). */
export type Priority = 'high' | 'normal';

/** When a merge request was created, last updated, or assigned to the bot (marge-bot's names). */
export type MergeOrder = 'created_at' | 'updated_at' | 'assigned_at';

interface Orderable {
  createdAt: string;
  updatedAt: string;
  assignedAt: string;
  iid: number;
}

const FIELD: Readonly<Record<MergeOrder, keyof Omit<Orderable, 'iid'>>> = {
  created_at: 'createdAt',
  updated_at: 'updatedAt',
  assigned_at: 'assignedAt',
};

/**
 * A new array of `entries`, oldest first by the chosen ISO timestamp, then by iid; entries equal
 * on both keep their order. Timestamps are compared as instants, not as text, because forges
 * write offsets differently (`Z`, `+00:00`, `+02:00`). An unreadable or empty timestamp (say, an
 * assignment time the forge did not report) sorts after every readable one rather than failing.
 */
export function orderQueue<T extends Orderable>(entries: T[], order: MergeOrder): T[] {
  const field = FIELD[order];
  return entries
    .map((entry, index) => ({ entry, index, time: instant(entry[field]) }))
    .sort((a, b) => compareTimes(a.time, b.time) || a.entry.iid - b.entry.iid || a.index - b.index)
    .map(({ entry }) => entry);
}

function instant(iso: string): number {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? Infinity : time;
}

function compareTimes(a: number, b: number): number {
  if (a === b) return 0; // also Infinity against Infinity, which subtraction would make NaN
  return a < b ? -1 : 1;
}
