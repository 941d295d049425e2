import type { Approvals, MergeRequest } from '../../src/domain/types';

export function aMergeRequest(over: Partial<MergeRequest> = {}): MergeRequest {
  return {
    project: 'group/app',
    iid: 1,
    title: 'Add feature',
    webUrl: 'http://gitlab.test/group/app/-/merge_requests/1',
    state: 'opened',
    draft: false,
    sourceBranch: 'feature',
    targetBranch: 'main',
    sourceProject: 'group/app',
    headSha: 'head0',
    authorUsername: 'alice',
    assignees: ['shepherd-bot'],
    squash: false,
    blockingDiscussionsResolved: true,
    mergeability: 'mergeable',
    allowCollaboration: false,
    headPipeline: null,
    labels: [],
    rebaseInProgress: false,
    mergeError: null,
    createdAt: '2026-11-01T10:00:00Z',
    updatedAt: '2026-11-01T10:00:00Z',
    ...over,
  };
}

export function approved(over: Partial<Approvals> = {}): Approvals {
  return { required: 1, left: 0, approvedBy: [{ id: 2, username: 'bob', name: 'Bob' }], eligibleApprovers: [], ...over };
}
