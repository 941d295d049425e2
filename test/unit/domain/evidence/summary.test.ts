import { evidenceSummary, type EvidenceSummaryInput } from '../../../../src/domain/evidence/summary';

const BASE: EvidenceSummaryInput = {
  month: '2026-10',
  people: 5,
  commits: 42,
  reposRead: ['bitbucket:team/api', 'gitlab:group/app', 'github:owner/web'],
  reposNotFound: [],
  unknown: [],
  channel: '#events',
  alertChannel: '#urgent',
};

const CASES = {
  allGood: BASE,
  unknownCommitters: { ...BASE, unknown: ['Zed Zulu <zed@example.com>', 'mallory'] },
  missingRepos: { ...BASE, reposNotFound: ['bitbucket:team/gone'] },
  both: { ...BASE, reposNotFound: ['bitbucket:team/gone'], unknown: ['Zed Zulu <zed@example.com>'] },
};

describe('evidenceSummary', () => {
  it('writes four different messages for the four outcomes', () => {
    const texts = Object.values(CASES).map((input) => evidenceSummary(input).text);
    expect(new Set(texts).size).toBe(4);
  });

  it.each(Object.entries(CASES))('names the month and the counts (%s)', (_case, input) => {
    const { text } = evidenceSummary(input);
    expect(text).toContain('October 2026');
    expect(text).toContain('2026-10');
    expect(text).toContain('42 commits');
    expect(text).toContain('5 people');
    expect(text).toContain('3 repositories');
  });

  it('posts to the usual channel when every repository was read, even with unknown committers', () => {
    expect(evidenceSummary(CASES.allGood).channel).toBe('#events');
    expect(evidenceSummary(CASES.unknownCommitters).channel).toBe('#events');
  });

  it('alerts when a repository could not be read', () => {
    expect(evidenceSummary(CASES.missingRepos).channel).toBe('#urgent');
    expect(evidenceSummary(CASES.both).channel).toBe('#urgent');
  });

  it('lists the unknown committers, escaped so Slack does not read <email> as a link', () => {
    const { text } = evidenceSummary(CASES.unknownCommitters);
    expect(text).toContain('2 committers are not on the list');
    expect(text).toContain('• Zed Zulu &lt;zed@example.com&gt;');
    expect(text).toContain('• mallory');
    expect(text).not.toContain('<zed@example.com>');
    expect(text).not.toContain('bitbucket:team/gone');
  });

  it('lists the repositories not found, and the unknown committers too when there are some', () => {
    const missing = evidenceSummary(CASES.missingRepos).text;
    expect(missing).toContain('1 repository could not be read');
    expect(missing).toContain('• `bitbucket:team/gone`');
    expect(missing).not.toContain('not on the list');
    const both = evidenceSummary(CASES.both).text;
    expect(both).toContain('• `bitbucket:team/gone`');
    expect(both).toContain('1 committer is not on the list');
    expect(both).toContain('• Zed Zulu &lt;zed@example.com&gt;');
  });

  it('says nothing is missing when all went well', () => {
    const { text } = evidenceSummary(CASES.allGood);
    expect(text).not.toContain('•');
    expect(text).toContain('Every committer is on the list');
  });

  it('uses singulars for one of each', () => {
    const { text } = evidenceSummary({ ...BASE, people: 1, commits: 1, reposRead: ['github:owner/web'] });
    expect(text).toContain('1 commit by 1 person in 1 repository');
  });

  it('cuts a long list and says how many more there are', () => {
    const unknown = Array.from({ length: 30 }, (_, i) => `dev${String(i).padStart(2, '0')}@example.com`);
    const { text } = evidenceSummary({ ...BASE, unknown });
    expect(text).toContain('• dev24@example.com');
    expect(text).not.toContain('dev25@example.com');
    expect(text).toContain('…and 5 more');
    expect(text).toContain('30 committers are not on the list');
  });
});
