// GitHub REST representations (commit, simple-user, pull-request-simple, pull-request-review)
// with the field names of GitHub's OpenAPI description. `origin` stands in for both
// api.github.com and github.com (web links).
import { createHash } from 'node:crypto';
import type { ActorRec, CommitRec, PullRec, RepoRec, ReviewRec, Store } from './store';

export type Json = Record<string, unknown>;

/** GitHub writes timestamps in UTC without fractions: 2011-04-14T16:00:49Z. */
export function timestamp(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const apiRepo = (origin: string, r: RepoRec): string => `${origin}/repos/${r.owner}/${r.name}`;
const webRepo = (origin: string, r: RepoRec): string => `${origin}/${r.owner}/${r.name}`;

export function simpleUser(origin: string, store: Store, login: string): Json {
  const id = store.userId(login);
  return {
    login,
    id,
    node_id: Buffer.from(`04:User${id}`).toString('base64'),
    avatar_url: `${origin}/avatars/u/${id}?v=4`,
    gravatar_id: '',
    url: `${origin}/users/${login}`,
    html_url: `${origin}/${login}`,
    type: 'User',
    site_admin: false,
  };
}

export function repository(origin: string, store: Store, r: RepoRec): Json {
  return {
    id: r.id,
    node_id: Buffer.from(`010:Repository${r.id}`).toString('base64'),
    name: r.name,
    full_name: `${r.owner}/${r.name}`,
    owner: simpleUser(origin, store, r.owner),
    private: r.private,
    html_url: webRepo(origin, r),
    url: apiRepo(origin, r),
    default_branch: r.defaultBranch,
    visibility: r.private ? 'private' : 'public',
  };
}

function gitActor(a: ActorRec): Json {
  return { name: a.name, email: a.email, date: timestamp(a.date) };
}

/** Plain-data commits have no tree: a stable stand-in. */
const treeSha = (c: CommitRec): string => createHash('sha1').update(`tree ${c.sha}`).digest('hex');

export function commit(origin: string, store: Store, r: RepoRec, c: CommitRec): Json {
  const api = apiRepo(origin, r);
  return {
    sha: c.sha,
    node_id: Buffer.from(`06:Commit${r.id}:${c.sha}`).toString('base64'),
    url: `${api}/commits/${c.sha}`,
    html_url: `${webRepo(origin, r)}/commit/${c.sha}`,
    comments_url: `${api}/commits/${c.sha}/comments`,
    commit: {
      url: `${api}/git/commits/${c.sha}`,
      author: gitActor(c.author),
      committer: gitActor(c.committer),
      message: c.message,
      comment_count: 0,
      tree: { sha: treeSha(c), url: `${api}/git/trees/${treeSha(c)}` },
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    },
    // Null when the email is not linked to an account, as on GitHub.
    author: c.author.login ? simpleUser(origin, store, c.author.login) : null,
    committer: c.committer.login ? simpleUser(origin, store, c.committer.login) : null,
    parents: c.parents.map((p) => ({ sha: p, url: `${api}/commits/${p}`, html_url: `${webRepo(origin, r)}/commit/${p}` })),
  };
}

function branchRef(origin: string, store: Store, r: RepoRec, ref: string, sha: string): Json {
  return { label: `${r.owner}:${ref}`, ref, sha, user: simpleUser(origin, store, r.owner), repo: repository(origin, store, r) };
}

export function pullSimple(origin: string, store: Store, r: RepoRec, p: PullRec): Json {
  const api = `${apiRepo(origin, r)}/pulls/${p.number}`;
  const headSha = p.commits[p.commits.length - 1] ?? '';
  return {
    url: api,
    id: p.id,
    node_id: Buffer.from(`011:PullRequest${p.id}`).toString('base64'),
    html_url: `${webRepo(origin, r)}/pull/${p.number}`,
    number: p.number,
    state: p.state,
    locked: false,
    title: p.title,
    user: simpleUser(origin, store, p.user),
    body: null,
    labels: [],
    milestone: null,
    created_at: timestamp(p.createdAt),
    updated_at: timestamp(p.updatedAt),
    closed_at: p.closedAt ? timestamp(p.closedAt) : null,
    merged_at: p.mergedAt ? timestamp(p.mergedAt) : null,
    merge_commit_sha: p.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: branchRef(origin, store, r, p.head, headSha),
    base: branchRef(origin, store, r, p.base, r.branches.get(p.base) ?? ''),
    draft: p.draft,
    author_association: 'CONTRIBUTOR',
    commits_url: `${api}/commits`,
    review_comments_url: `${api}/comments`,
    statuses_url: `${apiRepo(origin, r)}/statuses/${headSha}`,
    _links: {
      self: { href: api },
      html: { href: `${webRepo(origin, r)}/pull/${p.number}` },
      commits: { href: `${api}/commits` },
    },
  };
}

/** GET .../pulls/{n}: the simple form plus what only the single pull request has. */
export function pull(origin: string, store: Store, r: RepoRec, p: PullRec): Json {
  return {
    ...pullSimple(origin, store, r, p),
    merged: p.merged,
    mergeable: p.state === 'open' ? true : null,
    merged_by: null,
    comments: 0,
    review_comments: 0,
    commits: p.commits.length,
  };
}

export function review(origin: string, store: Store, r: RepoRec, p: PullRec, rv: ReviewRec): Json {
  const pr = `${webRepo(origin, r)}/pull/${p.number}`;
  return {
    id: rv.id,
    node_id: Buffer.from(`017:PullRequestReview${rv.id}`).toString('base64'),
    user: simpleUser(origin, store, rv.user),
    body: rv.body,
    state: rv.state,
    html_url: `${pr}#pullrequestreview-${rv.id}`,
    pull_request_url: `${apiRepo(origin, r)}/pulls/${p.number}`,
    _links: { html: { href: `${pr}#pullrequestreview-${rv.id}` }, pull_request: { href: `${apiRepo(origin, r)}/pulls/${p.number}` } },
    submitted_at: timestamp(rv.submittedAt),
    commit_id: rv.commitId,
    author_association: 'COLLABORATOR',
  };
}

/** GitHub's error body. */
export function error(message: string, status: number, documentationUrl = 'https://docs.github.com/rest'): Json {
  return { message, documentation_url: documentationUrl, status: String(status) };
}
