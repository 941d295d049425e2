import type { EvidencePerson, EvidenceRepo, Month } from '../domain/evidence/types';
import type { ReadWindow } from './readers/types';

/** What the evidence report needs from the configuration (no secrets: clients hold those). */
export interface EvidenceSettings {
  repos: EvidenceRepo[];
  people: EvidencePerson[];
  includeMerges: boolean;
  concurrency: number;
  timeZone: string;
  /** e.g. `evidences/{month}/{person}.zip` */
  s3KeyTemplate: string;
  slackChannel: string;
  slackAlertChannel: string;
}

/** The run of one month, as the workflow sees it: small and free of secrets. */
export interface EvidencePlan {
  month: Month;
  window: ReadWindow;
  repos: string[];
  concurrency: number;
  outputs: { s3: boolean; drive: boolean; slack: boolean };
}

export interface RepoRead {
  repo: string;
  status: 'read' | 'not-found';
  /** Why it could not be read (404, 403, 401), when not found. */
  reason?: string;
  commits: number;
  pages: number;
  /**
   * Credited and written as per-person files by the reading activity itself, so this CPU work
   * overlaps other repositories' network waits: distinct commits kept (merges left out unless
   * asked), and committers who match nobody.
   */
  counted?: number;
  unknown?: string[];
}

export interface PersonEvidence {
  name: string;
  slug: string;
  /** Zip file name in the run's folder. */
  zip: string;
  bytes: number;
  sha256: string;
  entries: number;
}

export interface BuiltEvidence {
  people: PersonEvidence[];
  commits: number;
  unknown: string[];
}

export interface EvidenceSummary {
  month: Month;
  people: number;
  commits: number;
  reposRead: string[];
  reposNotFound: string[];
  unknown: string[];
  channel: string;
  text: string;
  s3Keys: string[];
  driveFolderId?: string;
  slackPosted: boolean;
}
