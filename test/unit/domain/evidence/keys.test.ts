import { s3KeyFor, s3KeyTemplateProblem } from '../../../../src/domain/evidence/keys';

describe('s3KeyTemplateProblem', () => {
  it.each(['evidence/{month}/{person}.zip', '{person}.zip', '{month}/{person}/{person}-{month}.zip', 'evidences/{person}_{month}.zip'])('accepts %j', (template) => {
    expect(s3KeyTemplateProblem(template)).toBeUndefined();
  });

  it.each<[string, string]>([
    ['', 'empty'],
    ['   ', 'empty'],
    ['/evidence/{person}.zip', 'does not start with "/"'],
    ['evidence/{month}/', 'ends with "/"'],
    ['evidence/{month}.zip', 'must contain {person}'],
    ['evidence/{user}/{month}.zip', 'unknown placeholder {user}'],
    ['{person}/{date}/{repo}.zip', 'unknown placeholders {date}, {repo}'],
    ['{Person}.zip', 'unknown placeholder {Person}'],
    ['evidence/{person.zip', 'unmatched'],
    ['evidence/{person}}.zip', 'unmatched'],
  ])('refuses %j (%s)', (template, reason) => {
    expect(s3KeyTemplateProblem(template)).toContain(reason);
  });
});

describe('s3KeyFor', () => {
  it('fills every placeholder', () => {
    expect(s3KeyFor('evidence/{month}/{person}.zip', { person: 'ana-garcia', month: '2026-10' })).toBe('evidence/2026-10/ana-garcia.zip');
    expect(s3KeyFor('{person}/{month}/{person}-{month}.zip', { person: 'bo', month: '2026-01' })).toBe('bo/2026-01/bo-2026-01.zip');
  });

  it('refuses a bad template, month or person', () => {
    expect(() => s3KeyFor('evidence/{month}.zip', { person: 'bo', month: '2026-10' })).toThrow('must contain {person}');
    expect(() => s3KeyFor('{person}.zip', { person: 'bo', month: '2026-13' })).toThrow('Invalid month');
    expect(() => s3KeyFor('{person}.zip', { person: '../bo', month: '2026-10' })).toThrow('Invalid person');
    expect(() => s3KeyFor('{person}.zip', { person: '', month: '2026-10' })).toThrow('Invalid person');
  });
});
