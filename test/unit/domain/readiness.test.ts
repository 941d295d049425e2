import { checkReadiness } from '../../../src/domain/readiness';
import { aMergeRequest, approved } from '../../helpers/mergeRequests';

const bot = { botUsername: 'shepherd-bot', trigger: { kind: 'assignment' as const }, trailersEnabled: false };

test('a ready merge request passes', () => {
  expect(checkReadiness(aMergeRequest(), approved(), bot)).toBeUndefined();
});

test('merged, closed and unassigned merge requests stop silently: the person did that themselves', () => {
  expect(checkReadiness(aMergeRequest({ state: 'merged' }), approved(), bot)).toEqual({ reason: 'merged', silent: true });
  expect(checkReadiness(aMergeRequest({ state: 'closed' }), approved(), bot)).toEqual({ reason: 'closed', silent: true });
  expect(checkReadiness(aMergeRequest({ assignees: ['alice'] }), approved(), bot)).toEqual({ reason: 'not-assigned', silent: true });
});

test('squash-on-merge is refused only when Shepherd writes trailers', () => {
  const squashing = aMergeRequest({ squash: true });
  expect(checkReadiness(squashing, approved(), bot)).toBeUndefined();
  expect(checkReadiness(squashing, approved(), { ...bot, trailersEnabled: true })?.reason).toBe('squash-with-trailers');
});

test('a label or a command keeps the request standing without an assignment', () => {
  const unassigned = aMergeRequest({ assignees: [], labels: ['merge-me'] });
  expect(checkReadiness(unassigned, approved(), { ...bot, trigger: { kind: 'label', label: 'merge-me' } })).toBeUndefined();
  expect(checkReadiness({ ...unassigned, labels: [] }, approved(), { ...bot, trigger: { kind: 'label', label: 'merge-me' } })?.reason).toBe('not-assigned');
  expect(checkReadiness({ ...unassigned, labels: [] }, approved(), { ...bot, trigger: { kind: 'command', by: 'alice' } })).toBeUndefined();
});

test('draft comes before approvals, and approvals before discussions', () => {
  const everythingWrong = aMergeRequest({ draft: true, blockingDiscussionsResolved: false });
  const notApproved = approved({ left: 1, eligibleApprovers: ['bob'] });
  expect(checkReadiness(everythingWrong, notApproved, bot)?.reason).toBe('draft');
  expect(checkReadiness({ ...everythingWrong, draft: false }, notApproved, bot)).toEqual({
    reason: 'approvals',
    silent: false,
    left: 1,
    eligibleApprovers: ['bob'],
  });
  expect(checkReadiness({ ...everythingWrong, draft: false }, approved(), bot)?.reason).toBe('discussions');
});
