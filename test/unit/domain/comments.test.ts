import {
  ciTimeoutComment,
  commentMarker,
  conflictComment,
  refusalComment,
  withMarker,
} from '../../../src/domain/comments';

test('a marked comment carries its key invisibly, so a retry can find it', () => {
  const body = withMarker('merge:gitlab:g/a:1:1:ci-failed', 'CI failed.');
  expect(body.startsWith('CI failed.')).toBe(true);
  expect(body).toContain(commentMarker('merge:gitlab:g/a:1:1:ci-failed'));
  expect(commentMarker('a')).not.toEqual(commentMarker('b'));
  expect(commentMarker('k')).toMatch(/^<!--.*-->$/);
});

test('silent refusals have no comment; the others say what to do', () => {
  expect(refusalComment({ reason: 'merged', silent: true })).toBeUndefined();
  expect(refusalComment({ reason: 'discussions', silent: false })).toContain('Resolve them');
  expect(refusalComment({ reason: 'approvals', silent: false, left: 1, eligibleApprovers: [] })).toContain('1 more approval.');
});

test('the conflict comment lists each file; the timeout comment says when no pipeline appeared', () => {
  expect(conflictComment('main', ['a.txt', 'b/c.txt'])).toContain('- `a.txt`\n- `b/c.txt`');
  expect(ciTimeoutComment('15min', undefined)).toContain('no pipeline appeared');
});
