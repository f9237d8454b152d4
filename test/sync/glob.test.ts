import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGlob } from '../../src/sync/glob.js';
import { Filter, buildFilterRules, parseFilterLines } from '../../src/sync/filter-rules.js';

function m(pattern: string, path: string): boolean {
  return new Filter({
    rules: [
      { include: true, pattern },
      { include: false, pattern: '**' },
    ],
  }).pathIncluded(path);
}

test('* matches within one segment and never crosses /', () => {
  assert.ok(m('*.jpg', 'a.jpg'));
  assert.ok(m('*.jpg', 'dir/sub/a.jpg'), 'unanchored: matches the final component at any depth');
  assert.ok(!m('*.jpg', 'a.jpg.txt'));
  assert.ok(!m('a*', 'ab/c'), 'a* must not swallow the slash');
  assert.ok(m('dir/*', 'dir/x'));
  assert.ok(!m('dir/*', 'dir/x/y'));
});

test('** crosses directory separators', () => {
  assert.ok(m('dir/**', 'dir/x/y/z'));
  assert.ok(m('/dir/**', 'dir/x'));
  assert.ok(!m('/dir/**', 'other/dir/x'));
  assert.ok(m('**/*.log', 'a/b/c.log'));
  assert.ok(m('**', 'anything/at/all'));
});

test('? matches exactly one non-slash character', () => {
  assert.ok(m('file?.txt', 'file1.txt'));
  assert.ok(!m('file?.txt', 'file12.txt'));
  assert.ok(!m('a?b', 'a/b'));
});

test('[...] classes, negation with ! or ^, and ranges', () => {
  assert.ok(m('[abc].txt', 'b.txt'));
  assert.ok(!m('[abc].txt', 'd.txt'));
  assert.ok(m('[a-c]x', 'cx'));
  assert.ok(m('[!a-c]x', 'dx'));
  assert.ok(!m('[!a-c]x', 'ax'));
  assert.ok(m('[^a-c]x', 'zx'));
});

test('{a,b} alternatives, including globs inside', () => {
  assert.ok(m('*.{jpg,png}', 'x/y.png'));
  assert.ok(m('*.{jpg,png}', 'y.jpg'));
  assert.ok(!m('*.{jpg,png}', 'y.gif'));
  assert.ok(m('{docs/**,*.md}', 'docs/a/b.txt'));
  assert.ok(m('{docs/**,*.md}', 'x/readme.md'));
});

test('a leading / anchors at the root; without it the pattern matches whole final components', () => {
  assert.ok(m('/top.txt', 'top.txt'));
  assert.ok(!m('/top.txt', 'sub/top.txt'));
  assert.ok(m('top.txt', 'sub/top.txt'));
  assert.ok(!m('top.txt', 'sub/xtop.txt'), 'must match a whole component, not a suffix of one');
  assert.ok(m('b/c.txt', 'a/b/c.txt'));
  assert.ok(!m('b/c.txt', 'a/xb/c.txt'));
});

test('regex metacharacters and escapes are literal', () => {
  assert.ok(m('a+b (1).txt', 'a+b (1).txt'));
  assert.ok(!m('a.b', 'axb'));
  assert.ok(m('100%#$.txt', 'd/100%#$.txt'));
  assert.ok(m('\\*literal', '*literal'));
  assert.ok(!m('\\*literal', 'xliteral'));
  assert.ok(m('caf\u00e9/*', 'caf\u00e9/x'));
  assert.ok(m('😀*', 'dir/😀smile'));
  assert.ok(m('?.txt', '😀.txt'), '? matches one code point, even astral');
});

test('a trailing / is a directory pattern: it matches files below a matching directory', () => {
  assert.ok(m('cache/', 'a/cache/x.bin'));
  assert.ok(m('/cache/', 'cache/deep/x.bin'));
  assert.ok(!m('/cache/', 'a/cache/x.bin'));
  assert.ok(!m('cache/', 'cache'), 'a file named cache is not a directory');
});

test('bad globs are rejected', () => {
  assert.throws(() => compileGlob('[abc'));
  assert.throws(() => compileGlob('{a,b'));
  assert.throws(() => compileGlob('abc\\'));
  assert.throws(() => buildFilterRules({ include: ['[x'] }), /bad filter pattern/);
});

test('first matching rule wins; no match means included', () => {
  const f = new Filter({
    rules: [
      { include: false, pattern: 'secret/**' },
      { include: true, pattern: '*.txt' },
    ],
  });
  assert.ok(!f.pathIncluded('secret/a.txt'));
  assert.ok(f.pathIncluded('a.txt'));
  assert.ok(f.pathIncluded('a.bin'), 'no rule matched: included');
});

test('--include implies exclude everything else; --exclude alone excludes only matches', () => {
  const inc = new Filter(buildFilterRules({ include: ['*.txt'] }));
  assert.ok(inc.pathIncluded('x/a.txt'));
  assert.ok(!inc.pathIncluded('x/a.bin'));
  const exc = new Filter(buildFilterRules({ exclude: ['*.tmp'] }));
  assert.ok(!exc.pathIncluded('a.tmp'));
  assert.ok(exc.pathIncluded('a.bin'));
  const both = new Filter(buildFilterRules({ exclude: ['old/**'], include: ['*.txt'] }));
  assert.ok(!both.pathIncluded('old/a.txt'), 'excludes are checked before includes');
  assert.ok(both.pathIncluded('new/a.txt'));
});

test('filter-from lines: + and - rules, comments and blank lines; bad lines rejected', () => {
  const rules = parseFilterLines('# comment\n\n+ *.jpg\n- /tmp/**\r\n+ docs/**\n- **\n');
  assert.deepEqual(rules, [
    { include: true, pattern: '*.jpg' },
    { include: false, pattern: '/tmp/**' },
    { include: true, pattern: 'docs/**' },
    { include: false, pattern: '**' },
  ]);
  const f = new Filter({ rules });
  assert.ok(f.pathIncluded('tmp/x.jpg'));
  assert.ok(!f.pathIncluded('tmp/x.png'));
  assert.ok(f.pathIncluded('docs/a/b'));
  assert.ok(!f.pathIncluded('other'));
  assert.throws(() => parseFilterLines('* nope'), /line 1/);
});

test('size and age bounds', () => {
  const now = 1_000_000_000_000;
  const f = new Filter(buildFilterRules({ minSize: '1k', maxSize: '2KiB', minAge: '1h', maxAge: '2d' }), now);
  const hour = 3_600_000;
  assert.ok(f.includes('a', 1024, now - 2 * hour));
  assert.ok(!f.includes('a', 1023, now - 2 * hour), 'below min-size');
  assert.ok(!f.includes('a', 2049, now - 2 * hour), 'above max-size');
  assert.ok(!f.includes('a', 1500, now - hour / 2), 'younger than min-age');
  assert.ok(!f.includes('a', 1500, now - 3 * 24 * hour), 'older than max-age');
  assert.throws(() => buildFilterRules({ minSize: 'lots' }), /--min-size/);
  assert.throws(() => buildFilterRules({ maxAge: 'forever' }), /--max-age/);
});
