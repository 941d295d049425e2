// Where each person's zip goes in S3: a configured template such as `evidence/{month}/{person}.zip`.
// Checked when the configuration is read, so a bad template fails before a month's work is done.
import { parseMonth } from './month';
import type { Month } from './types';

const PLACEHOLDER = /\{([^{}]*)\}/g;
const KNOWN = new Set(['person', 'month']);

/** Why `template` cannot name the zips, or undefined when it can. */
export function s3KeyTemplateProblem(template: string): string | undefined {
  if (template.trim() === '') return 'the S3 key template is empty';
  if (template.startsWith('/')) return 'an S3 key does not start with "/": write evidence/{month}/{person}.zip, not /evidence/…';
  if (template.endsWith('/')) return 'the S3 key ends with "/", which names a folder, not a file: end it with a file name such as {person}.zip';
  const unknown = [...template.matchAll(PLACEHOLDER)].map((match) => match[1] ?? '').filter((name) => !KNOWN.has(name));
  if (unknown.length > 0) return `unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `{${name}}`).join(', ')}: only {person} and {month} are allowed`;
  if (/[{}]/.test(template.replace(PLACEHOLDER, ''))) return 'the S3 key template has an unmatched "{" or "}"';
  // Without the person every zip of a month would overwrite the previous one.
  if (!template.includes('{person}')) return 'the S3 key template must contain {person}, or every zip would get the same key';
  return undefined;
}

/** The S3 key of one person's zip: `evidence/{month}/{person}.zip` → `evidence/2026-10/ana-garcia.zip`. */
export function s3KeyFor(template: string, values: { person: string; month: Month }): string {
  const problem = s3KeyTemplateProblem(template);
  if (problem) throw new Error(`Invalid S3 key template "${template}": ${problem}`);
  parseMonth(values.month);
  if (values.person === '' || /[/{}]/.test(values.person)) throw new Error(`Invalid person "${values.person}" for an S3 key: expected a slug such as ana-garcia`);
  return template.replace(PLACEHOLDER, (_whole, name: string) => (name === 'person' ? values.person : values.month));
}
