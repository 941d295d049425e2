import type { EvidenceForge, EvidenceRepo } from './types';

export const EVIDENCE_FORGES: readonly EvidenceForge[] = ['bitbucket', 'gitlab', 'github'];

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** Why `text` is not a repository of the evidence report, or undefined when it is one. */
export function evidenceRepoProblem(text: string): string | undefined {
  const colon = text.indexOf(':');
  if (colon < 0) return 'expected <forge>:<path>, e.g. bitbucket:team/api, gitlab:group/app or github:owner/repo';
  const forge = text.slice(0, colon);
  const segments = text.slice(colon + 1).split('/');
  if (!(EVIDENCE_FORGES as readonly string[]).includes(forge)) return `the forge "${forge}" is not one of ${EVIDENCE_FORGES.join(', ')}`;
  if (segments.some((s) => !SEGMENT.test(s) || s === '.' || s === '..')) return 'the path has an empty or invalid part (letters, digits, ".", "_" and "-" only)';
  if (forge === 'gitlab') return segments.length >= 2 ? undefined : 'a GitLab path is group/project (subgroups allowed)';
  return segments.length === 2 ? undefined : `a ${forge === 'github' ? 'GitHub path is owner/repo' : 'Bitbucket path is workspace/repository'}`;
}

/** `bitbucket:team/api` → { id, forge: 'bitbucket', path: 'team/api' }; throws with the reason otherwise. */
export function parseEvidenceRepo(text: string): EvidenceRepo {
  const problem = evidenceRepoProblem(text);
  if (problem) throw new Error(`Invalid evidence repository "${text}": ${problem}`);
  const colon = text.indexOf(':');
  return { id: text, forge: text.slice(0, colon) as EvidenceForge, path: text.slice(colon + 1) };
}
