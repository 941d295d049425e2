// The demo's world: a bot, two people, one project with a few files, and merge requests that
// show what Shepherd does (merge; refuse on a conflict; refuse when CI fails).
//
// Two phases, because the merge requests must be opened only once Shepherd listens (their
// assignment webhooks start the work):
//   seedDemoProject(fake)      users, the project and its branches (no merge requests yet)
//   openDemoMergeRequests(fake) opens, approves and assigns the merge requests to the bot
// `seed(fake)` does both, for `npx tsx test/fakes/gitlab/main.ts --seed demo`.
import { execFileSync } from 'node:child_process';
import type { FakeGitLab } from '../fakeGitLab';
import type { PipelinePolicy } from '../types';

export const DEMO_PROJECT = 'demo/webapp';
export const BOT_USERNAME = 'shepherd-bot';
/** The file whose presence makes the demo's pipeline policy fail a pipeline. */
export const BROKEN_FILE = 'broken.txt';

/** What the demo expects to happen to each merge request. */
export type DemoExpectation = 'merged' | 'conflict comment' | 'CI failure comment';

export interface DemoMergeRequestPlan {
  sourceBranch: string;
  title: string;
  description: string;
  expect: DemoExpectation;
}

/** In the order they are opened and assigned (the queue merges in that order). */
export const DEMO_MERGE_REQUESTS: readonly DemoMergeRequestPlan[] = [
  {
    sourceBranch: 'readme-quickstart',
    title: 'Add a quick start to the README',
    description: 'Explains how to run the app locally.',
    expect: 'merged',
  },
  {
    sourceBranch: 'title-webapp',
    title: 'Set the page title to Webapp',
    description: 'Gives the page a proper title.',
    expect: 'merged',
  },
  {
    sourceBranch: 'title-my-app',
    title: 'Set the page title to My App',
    description: 'Changes the same line as "Set the page title to Webapp": whichever is merged second conflicts.',
    expect: 'conflict comment',
  },
  {
    sourceBranch: 'add-broken-file',
    title: 'Add a scratch file',
    description: `Adds ${BROKEN_FILE}; the demo's CI fails every pipeline containing it.`,
    expect: 'CI failure comment',
  },
];

const INDEX_HTML = (title: string): string =>
  `<!doctype html>\n<html>\n  <head>\n    <title>${title}</title>\n  </head>\n  <body>\n    <h1>Hello</h1>\n    <script src="app.js"></script>\n  </body>\n</html>\n`;

/**
 * The demo's CI: every pipeline passes after `afterMs`, except one whose commit contains
 * broken.txt, which fails (the file only ever exists on the branch that adds it). Looking into a
 * local bare repository synchronously is fine here: it involves no HTTP to the fake itself.
 */
export function demoPipelinePolicy(fake: FakeGitLab, afterMs = 3000): PipelinePolicy {
  return ({ project, sha }) => {
    let broken = false;
    try {
      execFileSync('git', ['--git-dir', fake.project(project).repoDir, 'cat-file', '-e', `${sha}:${BROKEN_FILE}`], {
        stdio: 'ignore',
        env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
      });
      broken = true;
    } catch {
      // git exits non-zero when the path does not exist in that commit: a healthy commit.
    }
    return { status: broken ? 'failed' : 'success', afterMs };
  };
}

export interface DemoSeed {
  project: string;
  webUrl: string;
  bot: { username: string; token: string };
  users: Record<string, { username: string; token: string }>;
}

/** Users, the project and its feature branches; no merge requests yet. */
export async function seedDemoProject(fake: FakeGitLab): Promise<DemoSeed> {
  const bot = fake.addUser({ username: BOT_USERNAME, name: 'Shepherd', email: 'shepherd-bot@example.test' });
  const alice = fake.addUser({ username: 'alice', name: 'Alice Liddell', email: 'alice@example.test' });
  const bob = fake.addUser({ username: 'bob', name: 'Bob Builder', email: 'bob@example.test' });
  const project = fake.addProject(DEMO_PROJECT, {
    members: { 'shepherd-bot': 'maintainer', alice: 'developer', bob: 'maintainer' },
    approvalsRequired: 1,
    files: {
      'README.md': '# webapp\n\nA tiny web application for the Shepherd demo.\n',
      'index.html': INDEX_HTML('Untitled'),
      'app.js': "document.querySelector('h1').textContent = 'Hello from webapp';\n",
      '.gitlab-ci.yml': 'test:\n  script:\n    - test ! -e broken.txt\n',
    },
  });

  await fake.commit(DEMO_PROJECT, 'readme-quickstart', {
    author: 'alice',
    message: 'Add a quick start to the README',
    files: {
      'README.md':
        '# webapp\n\nA tiny web application for the Shepherd demo.\n\n## Quick start\n\n    python3 -m http.server 8000\n',
    },
  });
  await fake.commit(DEMO_PROJECT, 'title-webapp', {
    author: 'alice',
    message: 'Set the page title to Webapp',
    files: { 'index.html': INDEX_HTML('Webapp') },
  });
  await fake.commit(DEMO_PROJECT, 'title-my-app', {
    author: 'alice',
    message: 'Set the page title to My App',
    files: { 'index.html': INDEX_HTML('My App') },
  });
  await fake.commit(DEMO_PROJECT, 'add-broken-file', {
    author: 'alice',
    message: `Add ${BROKEN_FILE}`,
    files: { [BROKEN_FILE]: 'This file makes the demo CI fail.\n' },
  });

  return {
    project: DEMO_PROJECT,
    webUrl: project.webUrl,
    bot: { username: bot.username, token: bot.token },
    users: {
      alice: { username: alice.username, token: alice.token },
      bob: { username: bob.username, token: bob.token },
    },
  };
}

export interface OpenOptions {
  /** Pause between assignments, so the queue takes the merge requests in a predictable order. */
  gapMs?: number;
  /** Called after each merge request is assigned to the bot. */
  onAssigned?: (iid: number, plan: DemoMergeRequestPlan) => void;
}

/** Opens the merge requests as alice, has bob approve them, and assigns them to the bot. */
export async function openDemoMergeRequests(fake: FakeGitLab, opts: OpenOptions = {}): Promise<number[]> {
  const iids: number[] = [];
  for (const [i, plan] of DEMO_MERGE_REQUESTS.entries()) {
    if (i > 0 && opts.gapMs) await new Promise((resolve) => setTimeout(resolve, opts.gapMs));
    const mr = fake.createMergeRequest(DEMO_PROJECT, {
      sourceBranch: plan.sourceBranch,
      title: plan.title,
      description: plan.description,
      author: 'alice',
    });
    fake.approve(DEMO_PROJECT, mr.iid, 'bob');
    fake.assign(DEMO_PROJECT, mr.iid, [BOT_USERNAME], 'alice');
    iids.push(mr.iid);
    opts.onAssigned?.(mr.iid, plan);
  }
  return iids;
}

/** Everything at once (for test/fakes/gitlab/main.ts --seed demo). */
export async function seed(fake: FakeGitLab): Promise<DemoSeed & { mergeRequests: number[] }> {
  fake.setPipelinePolicy(demoPipelinePolicy(fake));
  const seeded = await seedDemoProject(fake);
  const mergeRequests = await openDemoMergeRequests(fake);
  return { ...seeded, mergeRequests };
}
