// Bitbucket Cloud 2.0 representations (commit, pullrequest, participant, account), with the
// field names of the API's schemas. `origin` stands in for both api.bitbucket.org/2.0 (under
// /2.0) and bitbucket.org (web links).
import type { CommitRec, ParticipantRec, PullRequestRec, RepoRec, UserRec } from './store';

export type Json = Record<string, unknown>;

const href = (url: string): { href: string } => ({ href: url });

export function apiRepoUrl(origin: string, r: RepoRec): string {
  return `${origin}/2.0/repositories/${r.workspace}/${r.slug}`;
}

function webRepoUrl(origin: string, r: RepoRec): string {
  return `${origin}/${r.workspace}/${r.slug}`;
}

export function account(origin: string, u: UserRec): Json {
  return {
    type: 'user',
    display_name: u.displayName,
    nickname: u.nickname,
    account_id: u.accountId,
    uuid: u.uuid,
    links: {
      self: href(`${origin}/2.0/users/${encodeURIComponent(u.uuid)}`),
      html: href(`${origin}/${encodeURIComponent(u.uuid)}/`),
      avatar: href(`${origin}/account/${u.nickname}/avatar/`),
    },
  };
}

/** The short repository form nested in commits and pull requests. */
export function repositorySummary(origin: string, r: RepoRec): Json {
  return {
    type: 'repository',
    full_name: `${r.workspace}/${r.slug}`,
    name: r.slug,
    uuid: r.uuid,
    links: {
      self: href(apiRepoUrl(origin, r)),
      html: href(webRepoUrl(origin, r)),
      avatar: href(`${webRepoUrl(origin, r)}/avatar/32/`),
    },
  };
}

export function repository(origin: string, r: RepoRec): Json {
  return {
    ...repositorySummary(origin, r),
    scm: 'git',
    is_private: true,
    slug: r.slug,
    workspace: { type: 'workspace', slug: r.workspace, name: r.workspace },
    mainbranch: { type: 'branch', name: r.mainBranch },
  };
}

function commitRef(origin: string, r: RepoRec, hash: string): Json {
  return {
    type: 'commit',
    hash,
    links: {
      self: href(`${apiRepoUrl(origin, r)}/commit/${hash}`),
      html: href(`${webRepoUrl(origin, r)}/commits/${hash}`),
    },
  };
}

export function commit(origin: string, r: RepoRec, c: CommitRec): Json {
  const api = `${apiRepoUrl(origin, r)}`;
  return {
    type: 'commit',
    hash: c.hash,
    date: c.date,
    message: c.message,
    // The message rendered, as every commit carries it (`summary` of the base_commit schema).
    summary: { type: 'rendered', raw: c.message, markup: 'markdown', html: `<p>${escapeHtml(c.message)}</p>` },
    author: {
      type: 'author',
      raw: `${c.authorName} <${c.authorEmail}>`,
      ...(c.user ? { user: account(origin, c.user) } : {}),
    },
    parents: c.parents.map((p) => commitRef(origin, r, p)),
    repository: repositorySummary(origin, r),
    links: {
      self: href(`${api}/commit/${c.hash}`),
      html: href(`${webRepoUrl(origin, r)}/commits/${c.hash}`),
      diff: href(`${api}/diff/${c.hash}`),
      patch: href(`${api}/patch/${c.hash}`),
      comments: href(`${api}/commit/${c.hash}/comments`),
      approve: href(`${api}/commit/${c.hash}/approve`),
      statuses: href(`${api}/commit/${c.hash}/statuses`),
    },
  };
}

function participant(origin: string, p: ParticipantRec, pr: PullRequestRec): Json {
  return {
    type: 'participant',
    user: account(origin, p.user),
    role: p.role,
    approved: p.approved,
    state: p.state,
    // Null for a reviewer who has not acted yet.
    participated_on: p.approved || p.state !== null || p.role === 'PARTICIPANT' ? pr.updatedOn : null,
  };
}

export function pullRequest(origin: string, r: RepoRec, pr: PullRequestRec): Json {
  const api = `${apiRepoUrl(origin, r)}/pullrequests/${pr.id}`;
  const endpoint = (branch: string, hash: string | undefined): Json => ({
    branch: { name: branch },
    commit: hash ? { type: 'commit', hash: hash.slice(0, 12) } : null,
    repository: repositorySummary(origin, r),
  });
  return {
    type: 'pullrequest',
    id: pr.id,
    title: pr.title,
    description: '',
    state: pr.state,
    author: account(origin, pr.author),
    source: endpoint(pr.sourceBranch, pr.commits[0]),
    destination: endpoint(pr.destinationBranch, r.branches.get(pr.destinationBranch)),
    merge_commit: pr.mergeCommit ? { type: 'commit', hash: pr.mergeCommit } : null,
    close_source_branch: false,
    closed_by: null,
    reason: '',
    comment_count: 0,
    task_count: 0,
    created_on: pr.createdOn,
    updated_on: pr.updatedOn,
    reviewers: pr.participants.filter((p) => p.role === 'REVIEWER').map((p) => account(origin, p.user)),
    participants: pr.participants.map((p) => participant(origin, p, pr)),
    links: {
      self: href(api),
      html: href(`${webRepoUrl(origin, r)}/pull-requests/${pr.id}`),
      commits: href(`${api}/commits`),
      approve: href(`${api}/approve`),
      diff: href(`${api}/diff`),
      comments: href(`${api}/comments`),
      activity: href(`${api}/activity`),
      statuses: href(`${api}/statuses`),
    },
  };
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\n/g, '<br>');
}

/** Bitbucket's error body: `{ type: 'error', error: { message } }`. */
export function error(message: string, detail?: string): Json {
  return { type: 'error', error: { message, ...(detail ? { detail } : {}) } };
}
