// GET /projects/:id/repository/commits reads the bare repository the way Gitaly's FindCommits
// does: `git log` with the ref (or --all), --after/--before (which compare the committer
// date), --skip/--max-count for the page. Unlike git.ts's CommitInfo it keeps the committer.
import { git } from './git';
import type { CommitInfo } from './store';

export interface RepositoryCommit extends CommitInfo {
  committerName: string;
  committerEmail: string;
  committedDate: string;
}

export interface LogOptions {
  /** A branch, tag, SHA or revision range (`a..b`); ignored with `all`. */
  ref: string;
  all: boolean;
  since?: Date;
  until?: Date;
  path?: string;
  author?: string;
  firstParent: boolean;
  order: 'default' | 'topo';
  skip: number;
  maxCount: number;
}

const FORMAT = '%H%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B%x1e';

/** git's unambiguous date form, in UTC. */
const gitDate = (d: Date): string => `${d.toISOString().slice(0, 19).replace('T', ' ')} +0000`;

export async function logCommits(repoDir: string, o: LogOptions): Promise<RepositoryCommit[]> {
  const args = ['log', `--format=${FORMAT}`, `--skip=${o.skip}`, `--max-count=${o.maxCount}`];
  if (o.order === 'topo') args.push('--topo-order');
  if (o.firstParent) args.push('--first-parent');
  if (o.since) args.push(`--after=${gitDate(o.since)}`);
  if (o.until) args.push(`--before=${gitDate(o.until)}`);
  if (o.author) args.push(`--author=${o.author}`);
  // The fake's own scratch refs are not GitLab's; refs/merge-requests/* are, as --all sees them there.
  if (o.all) args.push('--exclude=refs/fake-gitlab/*', '--all');
  else args.push(o.ref);
  args.push('--', ...(o.path ? [o.path] : []));
  // An unknown ref lists nothing, as GitLab answers [] for it.
  const { code, stdout } = await git(repoDir, args, { okCodes: [128] });
  if (code !== 0) return [];
  return stdout
    .split('\x1e')
    .map((s) => s.replace(/^\n/, ''))
    .filter((s) => s.length > 0)
    .map((s) => {
      const [sha, parents, authorName, authorEmail, timestamp, committerName, committerEmail, committedDate, body] = s.split('\0');
      const message = (body ?? '').replace(/\n+$/, '\n');
      return {
        sha,
        parents: parents ? parents.split(' ') : [],
        authorName,
        authorEmail,
        timestamp,
        committerName,
        committerEmail,
        committedDate,
        message,
        title: message.split('\n')[0],
      };
    });
}
