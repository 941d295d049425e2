import fs from 'node:fs';
import path from 'node:path';

export interface HookFixture {
  /** File name without .json. */
  name: string;
  /** The X-Gitlab-Event header GitLab sends with this body. */
  eventName: string;
  body: Record<string, unknown>;
  text: string;
}

const EVENT_NAMES: Readonly<Record<string, string>> = {
  merge_request: 'Merge Request Hook',
  note: 'Note Hook',
  pipeline: 'Pipeline Hook',
  push: 'Push Hook',
  tag_push: 'Tag Push Hook',
};

export const FIXTURE_DIR = path.resolve(__dirname, '..', 'test', 'fixtures', 'gitlab');

/** The recorded GitLab webhook bodies in test/fixtures/gitlab, with their event names. */
export function loadHookFixtures(): HookFixture[] {
  return fs
    .readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const text = fs.readFileSync(path.join(FIXTURE_DIR, file), 'utf8');
      const body = JSON.parse(text) as Record<string, unknown>;
      const kind = String(body.object_kind ?? '');
      const eventName = EVENT_NAMES[kind];
      if (!eventName) throw new Error(`${file}: unknown object_kind "${kind}"`);
      return { name: file.replace(/\.json$/, ''), eventName, body, text };
    });
}
