// Where a raw value came from, and how messages and `shepherd config` name that place.

import type { RawValue } from './schema';

export type SourceKind = 'flag' | 'env' | 'file' | 'default' | 'secret-file';

export interface OptionSource {
  from: SourceKind;
  /** The flag as typed, the environment variable, the config file path as given, or the secret file's absolute path. */
  detail?: string;
  /** Set when a value was given here but a higher-precedence one was used instead. */
  ignored?: string;
  /**
   * Set when the value was given under another option name: the deprecated max-ci-time-in-minutes
   * for ci-timeout, marge-bot's batch for queue-mode.
   */
  via?: string;
}

/** A value some source gave for an option, not yet validated. */
export interface Candidate {
  raw: RawValue;
  source: OptionSource;
}

/** "from environment SHEPHERD_CI_TIMEOUT", "from flag --ci-timeout", "from config file ./x.yml". */
export function fromPhrase(source: OptionSource): string {
  return `from ${sourceLabel(source)}`;
}

/** The source without "from", as `shepherd config` shows it. */
export function sourceLabel(source: OptionSource): string {
  const detail = source.detail ?? '';
  switch (source.from) {
    case 'flag':
      return `flag ${detail}`;
    case 'env':
      return `environment ${detail}`;
    case 'file':
      return `config file ${detail}`;
    case 'secret-file':
      return `file ${detail}`;
    case 'default':
      return 'default';
  }
}
