import {
  TrailerError,
  partOfTrailer,
  reviewedByTrailers,
  setTrailers,
  testedByTrailer,
} from '../../../src/domain/trailers';

const MR = 'https://gitlab.example.com/group/project/-/merge_requests/42';

describe('setTrailers', () => {
  it('appends a trailer block after a blank line when there is none', () => {
    expect(setTrailers('Fix the frobnicator', { 'Part-of': [`<${MR}>`] })).toBe(`Fix the frobnicator\n\nPart-of: <${MR}>\n`);
    expect(setTrailers('Fix the frobnicator\n\nIt frobbed twice.\n', { 'Part-of': [`<${MR}>`] })).toBe(
      `Fix the frobnicator\n\nIt frobbed twice.\n\nPart-of: <${MR}>\n`,
    );
  });

  it('adds to an existing trailer block, keeping the other trailers in their order', () => {
    const message = [
      'parser: accept trailing commas',
      '',
      'JSON5 allows them and users paste JSON5.',
      '',
      'Signed-off-by: Alice Example <alice@example.com>',
      'Co-authored-by: Bob <bob@example.com>',
      '',
    ].join('\n');
    expect(setTrailers(message, { 'Reviewed-by': ['Carol <carol@example.com>'], 'Part-of': [`<${MR}>`] })).toBe(
      [
        'parser: accept trailing commas',
        '',
        'JSON5 allows them and users paste JSON5.',
        '',
        'Signed-off-by: Alice Example <alice@example.com>',
        'Co-authored-by: Bob <bob@example.com>',
        'Reviewed-by: Carol <carol@example.com>',
        `Part-of: <${MR}>`,
        '',
      ].join('\n'),
    );
  });

  it('replaces every trailer of a named key, whatever its case, and writes the given spelling', () => {
    const message = [
      'Add retries',
      '',
      'Reviewed-by: Old Reviewer <old@example.com>',
      'Signed-off-by: Alice <alice@example.com>',
      'reviewed-BY: Another Old <another@example.com>',
      'Part-of: <https://gitlab.example.com/group/project/-/merge_requests/1>',
    ].join('\n');
    expect(setTrailers(message, { 'Reviewed-by': ['Carol <carol@example.com>', 'Dan (@dan)'], 'Part-of': [`<${MR}>`] })).toBe(
      [
        'Add retries',
        '',
        'Signed-off-by: Alice <alice@example.com>',
        'Reviewed-by: Carol <carol@example.com>',
        'Reviewed-by: Dan (@dan)',
        `Part-of: <${MR}>`,
        '',
      ].join('\n'),
    );
  });

  it('collapses duplicate values, keeping the first occurrence order', () => {
    expect(setTrailers('Subject', { 'Reviewed-by': ['B <b@x>', 'A <a@x>', 'B <b@x>', ' A <a@x> '] })).toBe(
      'Subject\n\nReviewed-by: B <b@x>\nReviewed-by: A <a@x>\n',
    );
  });

  it('collapses duplicates of any trailer in the block, not only of the ones it sets', () => {
    const message = 'Subject\n\nBody.\n\nSigned-off-by: A <a@x>\nCc: list@x\nSigned-off-by: A <a@x>\nSigned-off-by: C <c@x>\nCc: list@x\n';
    expect(setTrailers(message, { 'Reviewed-by': ['B <b@x>'] })).toBe(
      'Subject\n\nBody.\n\nSigned-off-by: A <a@x>\nCc: list@x\nSigned-off-by: C <c@x>\nReviewed-by: B <b@x>\n',
    );
    expect(setTrailers('Subject\n\nCc: list@x\nCc: list@x', {})).toBe('Subject\n\nCc: list@x\n');
  });

  it('takes trailers that differ only in the key case or in spacing for the same one, keeping the first as written', () => {
    const message = 'Subject\n\nSigned-off-by: A  <a@x>\nsigned-off-by:A <a@x>\nAcked-by: Someone with a\n  long name <s@x>\nAcked-by: Someone with a long name <s@x>\n';
    expect(setTrailers(message, { 'Part-of': ['<u>'] })).toBe(
      'Subject\n\nSigned-off-by: A  <a@x>\nAcked-by: Someone with a\n  long name <s@x>\nPart-of: <u>\n',
    );
  });

  it('removes a trailer given an empty array, and the block with it when nothing is left', () => {
    expect(setTrailers('Subject\n\nBody.\n\nReviewed-by: A <a@x>\nSigned-off-by: S <s@x>\n', { 'Reviewed-by': [] })).toBe(
      'Subject\n\nBody.\n\nSigned-off-by: S <s@x>\n',
    );
    expect(setTrailers('Subject\n\nBody.\n\nReviewed-by: A <a@x>\n', { 'Reviewed-by': [] })).toBe('Subject\n\nBody.\n');
    expect(setTrailers('Subject\n', { 'Reviewed-by': [] })).toBe('Subject\n');
  });

  it('is idempotent, so a retried rewrite changes nothing more', () => {
    const trailers = { 'Reviewed-by': ['Carol <carol@example.com>'], 'Part-of': [`<${MR}>`], 'Tested-by': [`Shepherd <${MR}>`] };
    const once = setTrailers('Subject\n\nBody\n\nSigned-off-by: A <a@x>', trailers);
    expect(setTrailers(once, trailers)).toBe(once);
    const deduplicated = setTrailers('Subject\n\nSigned-off-by: A <a@x>\nsigned-off-by: A <a@x>\nCc: x', trailers);
    expect(setTrailers(deduplicated, trailers)).toBe(deduplicated);
  });

  it('keeps continuation lines with their trailer, and drops them with it', () => {
    const message = 'Subject\n\nSigned-off-by: A <a@x>\nReviewed-by: Someone with a\n  very long name <x@y>\nCc: list@example.com\n';
    expect(setTrailers(message, { 'Tested-by': ['Bot <u>'] })).toBe(
      'Subject\n\nSigned-off-by: A <a@x>\nReviewed-by: Someone with a\n  very long name <x@y>\nCc: list@example.com\nTested-by: Bot <u>\n',
    );
    expect(setTrailers(message, { 'Reviewed-by': ['New <n@x>'] })).toBe(
      'Subject\n\nSigned-off-by: A <a@x>\nCc: list@example.com\nReviewed-by: New <n@x>\n',
    );
  });

  it('treats a subject that looks like a trailer as the subject', () => {
    expect(setTrailers('Fix: handle nulls', { 'Part-of': [`<${MR}>`] })).toBe(`Fix: handle nulls\n\nPart-of: <${MR}>\n`);
    expect(setTrailers('Fix: handle nulls\n\nThey crashed the parser.', { 'Part-of': [`<${MR}>`] })).toBe(
      `Fix: handle nulls\n\nThey crashed the parser.\n\nPart-of: <${MR}>\n`,
    );
    expect(setTrailers('docs: typo\n\nReviewed-by: A <a@x>', { 'Reviewed-by': ['B <b@x>'] })).toBe('docs: typo\n\nReviewed-by: B <b@x>\n');
  });

  it('does not take a last paragraph mixing prose and trailers for a trailer block', () => {
    const message = 'Subject\n\nThis explains it.\nSigned-off-by: A <a@x>';
    expect(setTrailers(message, { 'Part-of': ['<u>'] })).toBe('Subject\n\nThis explains it.\nSigned-off-by: A <a@x>\n\nPart-of: <u>\n');
  });

  it('ends with exactly one newline and tidies blank lines and trailing blanks as git does', () => {
    expect(setTrailers('\n\nSubject  \r\n\r\n\r\nBody\n\n\n', { 'Part-of': ['<u>'] })).toBe('Subject\n\nBody\n\nPart-of: <u>\n');
    expect(setTrailers('Subject', {})).toBe('Subject\n');
  });

  it('keeps lines starting with # inside a real message (issue references, not comments)', () => {
    expect(setTrailers('Subject\n\n#123 was the cause.', { 'Part-of': ['<u>'] })).toBe('Subject\n\n#123 was the cause.\n\nPart-of: <u>\n');
  });

  it.each(['', '   \n\t\n', '# Please enter the commit message\n#\n'])('refuses an empty message: %j', (message) => {
    expect(() => setTrailers(message, { 'Part-of': ['<u>'] })).toThrow(new TrailerError('the commit message is empty'));
  });

  it('refuses a message made only of trailers: it has no subject', () => {
    for (const message of ['Signed-off-by: A <a@x>\nReviewed-by: B <b@x>\n', 'Part-of: <old>', 'Part-of: <old>\n\nSigned-off-by: A <a@x>', 'part-OF: <old>\n']) {
      expect(() => setTrailers(message, { 'Part-of': ['<u>'] })).toThrow(TrailerError);
      expect(() => setTrailers(message, { 'Part-of': ['<u>'] })).toThrow(/has no subject/);
    }
  });

  it('keeps a one-line message that looks like a trailer of a name it does not set as the subject', () => {
    expect(setTrailers('Fix: handle empty input', { 'Reviewed-by': ['B <b@x>'] })).toBe('Fix: handle empty input\n\nReviewed-by: B <b@x>\n');
    expect(setTrailers('Signed-off-by: A <a@x>', { 'Reviewed-by': ['B <b@x>'] })).toBe('Signed-off-by: A <a@x>\n\nReviewed-by: B <b@x>\n');
    expect(setTrailers('Cc: stable@example.com\n', { 'Part-of': ['<u>'] })).toBe('Cc: stable@example.com\n\nPart-of: <u>\n');
    // The rewritten message has that subject and a trailer block, and a retry leaves it alone.
    expect(setTrailers('Reviewed-by: B <b@x>\n\nPart-of: <u>', { 'Part-of': ['<u>'] })).toBe('Reviewed-by: B <b@x>\n\nPart-of: <u>\n');
    const once = setTrailers('Signed-off-by: A <a@x>', { 'Reviewed-by': ['B <b@x>'], 'Part-of': [`<${MR}>`] });
    expect(setTrailers(once, { 'Reviewed-by': ['B <b@x>'], 'Part-of': [`<${MR}>`] })).toBe(once);
  });

  it('still refuses a one-line message that is a trailer it sets: replacing it would leave no subject', () => {
    expect(() => setTrailers('Reviewed-by: Old <old@x>', { 'Reviewed-by': ['B <b@x>'] })).toThrow(/has no subject/);
    expect(() => setTrailers('Reviewed-by: Old <old@x>', { 'Part-of': ['<u>'], 'reviewed-BY': [] })).toThrow(/has no subject/);
  });

  it('refuses trailers it cannot write', () => {
    expect(() => setTrailers('S', { 'Reviewed by': ['A'] })).toThrow(/not a trailer key/);
    expect(() => setTrailers('S', { 'Reviewed-by': ['A\nSigned-off-by: forged'] })).toThrow(/one-line/);
    expect(() => setTrailers('S', { 'Reviewed-by': ['  '] })).toThrow(/non-empty/);
    expect(() => setTrailers('S', { 'Reviewed-by': ['A'], 'reviewed-by': ['B'] })).toThrow(/given twice/);
  });
});

describe('trailer values', () => {
  it('names reviewers by email, or by username when the email is unknown', () => {
    expect(
      reviewedByTrailers([
        { name: 'A. Reviewer', email: 'a.reviewer@example.com', username: 'areviewer' },
        { name: 'Bo  Hidden', username: 'bo' },
        { name: '', email: '', username: 'nameless' },
      ]),
    ).toEqual(['A. Reviewer <a.reviewer@example.com>', 'Bo Hidden (@bo)', 'nameless (@nameless)']);
  });

  it('links to the merge request as marge-bot does', () => {
    expect(partOfTrailer(MR)).toBe(`<${MR}>`);
    expect(testedByTrailer('Marge Bot', MR)).toBe(`Marge Bot <${MR}>`);
  });

  it('produce the lines marge-bot users grep for', () => {
    const message = setTrailers('Subject', {
      'Reviewed-by': reviewedByTrailers([{ name: 'A. Reviewer', email: 'a.reviewer@example.com', username: 'ar' }]),
      'Tested-by': [testedByTrailer('Marge Bot', MR)],
      'Part-of': [partOfTrailer(MR)],
    });
    expect(message).toMatch(/^Tested-by: Marge Bot </m);
    expect(message).toMatch(new RegExp(`^Part-of.*/42>$`, 'm'));
    expect(message).toContain('Reviewed-by: A. Reviewer <a.reviewer@example.com>\n');
  });
});
