import fs from 'node:fs';
import path from 'node:path';

/** A real-shaped webhook payload from test/fixtures, fresh for each call so tests may edit it. */
export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', name), 'utf8')) as T;
}
