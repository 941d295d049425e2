import { orderQueue, type MergeOrder } from '../../../src/domain/mergeOrder';

interface Entry {
  iid: number;
  createdAt: string;
  updatedAt: string;
  assignedAt: string;
  label?: string;
}

const entry = (iid: number, createdAt: string, updatedAt: string, assignedAt: string, label?: string): Entry => ({
  iid,
  createdAt,
  updatedAt,
  assignedAt,
  label,
});

const a = entry(1, '2024-06-03T10:00:00Z', '2024-06-05T10:00:00Z', '2024-06-04T09:00:00Z');
const b = entry(2, '2024-06-01T10:00:00Z', '2024-06-06T10:00:00Z', '2024-06-04T08:00:00Z');
const c = entry(3, '2024-06-02T10:00:00Z', '2024-06-04T10:00:00Z', '2024-06-04T10:00:00Z');
const iids = (entries: Entry[]): number[] => entries.map((e) => e.iid);

describe('orderQueue', () => {
  it.each<[MergeOrder, number[]]>([
    ['created_at', [2, 3, 1]],
    ['updated_at', [3, 1, 2]],
    ['assigned_at', [2, 1, 3]],
  ])('by %s, oldest first', (order, expected) => {
    expect(iids(orderQueue([a, b, c], order))).toEqual(expected);
  });

  it('breaks ties by iid, then keeps the given order', () => {
    const t = '2024-06-01T00:00:00Z';
    const entries = [entry(9, t, t, t, 'x'), entry(4, t, t, t), entry(9, t, t, t, 'y'), entry(7, t, t, t)];
    expect(orderQueue(entries, 'created_at').map((e) => `${e.iid}${e.label ?? ''}`)).toEqual(['4', '7', '9x', '9y']);
  });

  it('compares instants, not text, across offsets', () => {
    // 11:00+02:00 is 09:00Z, before 10:00Z, though it sorts after it as text.
    const x = entry(1, '2024-06-01T10:00:00Z', '', '');
    const y = entry(2, '2024-06-01T11:00:00+02:00', '', '');
    const z = entry(3, '2024-06-01T09:30:00.500Z', '', '');
    expect(iids(orderQueue([x, y, z], 'created_at'))).toEqual([2, 3, 1]);
  });

  it('puts unreadable or missing timestamps last, by iid', () => {
    const known = entry(5, '', '', '2024-06-01T10:00:00Z');
    const unknown = [entry(3, '', '', ''), entry(1, '', '', 'not a date')];
    expect(iids(orderQueue([...unknown, known], 'assigned_at'))).toEqual([5, 1, 3]);
  });

  it('returns a new array and leaves its input alone', () => {
    const input = [a, b, c];
    const output = orderQueue(input, 'created_at');
    expect(output).not.toBe(input);
    expect(iids(input)).toEqual([1, 2, 3]);
    expect(output[0]).toBe(b);
    expect(orderQueue([], 'updated_at')).toEqual([]);
  });
});
