// Raw commit objects (`git cat-file commit <sha>`): rebuilt byte-for-byte except for the parents
// and the message, which is what makes message rewriting deterministic (author, committer and
// their dates are kept exactly).

export interface RawCommit {
  /** Header lines without `parent` lines and without signatures (continuation lines joined with \n). */
  headers: string[];
  parents: string[];
  message: string;
}

const SIGNATURE_HEADERS = new Set(['gpgsig', 'gpgsig-sha256']);

export function parseCommit(raw: string): RawCommit {
  const split = raw.indexOf('\n\n');
  const head = split >= 0 ? raw.slice(0, split) : raw.replace(/\n$/, '');
  const message = split >= 0 ? raw.slice(split + 2) : '';
  const fields: string[] = [];
  for (const line of head.split('\n')) {
    if (line.startsWith(' ') && fields.length > 0) fields[fields.length - 1] += `\n${line}`;
    else fields.push(line);
  }
  const headers: string[] = [];
  const parents: string[] = [];
  for (const field of fields) {
    const key = field.slice(0, field.indexOf(' '));
    if (key === 'parent') parents.push(field.slice('parent '.length));
    else if (!SIGNATURE_HEADERS.has(key)) headers.push(field); // a rewritten commit's signature is void
  }
  return { headers, parents, message };
}

export function formatCommit(commit: RawCommit): string {
  const out: string[] = [];
  for (const header of commit.headers) {
    out.push(header);
    if (header.startsWith('tree ')) for (const p of commit.parents) out.push(`parent ${p}`);
  }
  let message = commit.message;
  if (message !== '' && !message.endsWith('\n')) message += '\n';
  return `${out.join('\n')}\n\n${message}`;
}
