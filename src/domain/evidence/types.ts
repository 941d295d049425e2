/**
 * The monthly evidence report's domain: who did what, in which repository, in one month.
 * Plain data only: these values travel between activities (as files on disk, never as workflow
 * payloads when there are many of them) and are what the pure crediting code reads.
 */

export type EvidenceForge = 'bitbucket' | 'gitlab' | 'github';

/** One configured repository, e.g. `bitbucket:team/api` → { forge: 'bitbucket', path: 'team/api' }. */
export interface EvidenceRepo {
  /** As configured: `<forge>:<path>`; also the repository's name in the report. */
  readonly id: string;
  readonly forge: EvidenceForge;
  /** Bitbucket `workspace/slug`, GitLab `group/sub/project`, GitHub `owner/repo`. */
  readonly path: string;
}

/** Someone the report is for. */
export interface EvidencePerson {
  readonly name: string;
  readonly email: string;
  /** Other emails or forge usernames that are this person too. */
  readonly aliases: readonly string[];
}

/** Whoever a forge says did something: any of the fields may be missing. */
export interface Identity {
  readonly name?: string;
  readonly email?: string;
  readonly username?: string;
}

/** One commit as read from a forge, with what the report needs to credit it. */
export interface CollectedCommit {
  /** EvidenceRepo.id */
  readonly repo: string;
  /** Full SHA. */
  readonly sha: string;
  /** Author date, ISO 8601 with offset as the forge gave it. */
  readonly date: string;
  /** Link to the commit in the forge's web UI. */
  readonly url: string;
  readonly author: Identity;
  /** The whole message: its first line is the subject, its trailers name co-authors. */
  readonly message: string;
  /** 2 or more: a merge commit. */
  readonly parentCount: number;
  /** Approvers of the pull/merge request(s) the commit came through; empty when none. */
  readonly approvers: readonly Identity[];
}

export type EvidenceRole = 'author' | 'co-author' | 'approver';

/** One line of one person's evidence file. */
export interface EvidenceEntry {
  /** EvidencePerson.name */
  readonly person: string;
  readonly repo: string;
  readonly sha: string;
  readonly date: string;
  readonly url: string;
  readonly role: EvidenceRole;
  readonly subject: string;
}

/** `YYYY-MM`, e.g. `2026-10`. */
export type Month = string;
