import { gitlabTimeToIso, normaliseGitLabHook } from '../../../src/api/gitlab/normaliseGitLabHook';
import { fixture } from '../../helpers/fixtures';

test('a merge request hook becomes one merge-request event with the assignees and head', () => {
  const out = normaliseGitLabHook('Merge Request Hook', fixture('gitlab/merge-request-assigned.json'), 'id-1');
  expect(out).toEqual({
    kind: 'event',
    event: {
      kind: 'merge-request',
      eventId: 'id-1',
      ref: { forge: 'gitlab', project: 'group/app', iid: 42 },
      action: 'update',
      state: 'opened',
      title: 'Add the feature',
      url: 'http://gitlab.example.com/group/app/-/merge_requests/42',
      sourceBranch: 'feature',
      targetBranch: 'main',
      headSha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      draft: false,
      assignees: ['shepherd-bot'],
      labels: [],
      createdAt: '2026-11-20T10:00:00.000Z',
      updatedAt: '2026-11-20T10:05:00.000Z',
      actor: 'alice',
    },
  });
});

test('hook times in GitLab\'s "UTC" format become ISO instants', () => {
  expect(gitlabTimeToIso('2026-11-20 10:05:00 UTC')).toBe('2026-11-20T10:05:00.000Z');
  expect(gitlabTimeToIso('2026-11-20T12:05:00+02:00')).toBe('2026-11-20T10:05:00.000Z');
});

test('older GitLab sends work_in_progress instead of draft', () => {
  const body = fixture<{ object_attributes: Record<string, unknown> }>('gitlab/merge-request-assigned.json');
  delete body.object_attributes.draft;
  body.object_attributes.work_in_progress = true;
  const out = normaliseGitLabHook('Merge Request Hook', body, 'x');
  expect(out.kind === 'event' && out.event.kind === 'merge-request' && out.event.draft).toBe(true);
});

test('a comment on a merge request becomes a comment event', () => {
  const out = normaliseGitLabHook('Note Hook', fixture('gitlab/note-on-merge-request.json'), 'n');
  expect(out).toMatchObject({
    kind: 'event',
    event: { kind: 'comment', ref: { project: 'group/app', iid: 42 }, author: 'alice', body: '@shepherd-bot merge', noteId: 1244 },
  });
});

test('a comment on an issue is ignored, saying why', () => {
  const body = fixture<{ object_attributes: Record<string, unknown>; merge_request?: unknown }>('gitlab/note-on-merge-request.json');
  body.object_attributes.noteable_type = 'Issue';
  delete body.merge_request;
  expect(normaliseGitLabHook('Note Hook', body, 'n')).toEqual({ kind: 'ignored', reason: 'comment on a Issue, not a merge request' });
});

test('a pipeline hook names the merge request and target branch it ran for', () => {
  const out = normaliseGitLabHook('Pipeline Hook', fixture('gitlab/pipeline-for-merge-request.json'), 'p');
  expect(out).toMatchObject({
    kind: 'event',
    event: {
      kind: 'pipeline',
      ref: { forge: 'gitlab', project: 'group/app', iid: 42 },
      targetBranch: 'main',
      sha: 'bcbb5ec396a2c0f828686f14fac9b80b780504f2',
      status: 'failed',
      url: 'http://gitlab.example.com/group/app/-/pipelines/61',
    },
  });
});

test('a push to a branch: which branch of which project moved, and where to', () => {
  expect(normaliseGitLabHook('Push Hook', fixture('gitlab/push.json'), 'p')).toEqual({
    kind: 'event',
    event: { kind: 'branch-pushed', eventId: 'p', forge: 'gitlab', project: 'group/app', branch: 'main', sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7' },
  });
  const tag = { ...fixture<Record<string, unknown>>('gitlab/push.json'), ref: 'refs/tags/v1.0' };
  expect(normaliseGitLabHook('Push Hook', tag, 'p')).toEqual({ kind: 'ignored', reason: 'a push to refs/tags/v1.0, not to a branch' });
  expect(normaliseGitLabHook('Push Hook', { ...tag, ref: undefined }, 'p')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('ref') });
});

test('events Shepherd does not use are ignored', () => {
  expect(normaliseGitLabHook('Issue Hook', { object_kind: 'issue' }, 'p')).toEqual({
    kind: 'ignored',
    reason: 'Shepherd does not use "Issue Hook" events',
  });
});

test('a bad field is named in the reason', () => {
  const body = fixture<{ object_attributes: Record<string, unknown> }>('gitlab/merge-request-assigned.json');
  body.object_attributes.iid = 'forty-two';
  const out = normaliseGitLabHook('Merge Request Hook', body, 'x');
  expect(out.kind).toBe('invalid');
  expect(out.kind === 'invalid' && out.reason).toMatch(/^object_attributes\.iid: /);
});

test('an unknown pipeline status is refused, naming the field', () => {
  const body = fixture<{ object_attributes: Record<string, unknown> }>('gitlab/pipeline-for-merge-request.json');
  body.object_attributes.status = 'exploded';
  const out = normaliseGitLabHook('Pipeline Hook', body, 'x');
  expect(out.kind === 'invalid' && out.reason).toMatch(/^object_attributes\.status: /);
});
