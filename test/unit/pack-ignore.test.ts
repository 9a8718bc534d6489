import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IgnoreMatcher } from '../../src/pack/ignore.js';

/** .scrydonignore patterns, gitignore-style. */
function ignores(patterns: string, path: string, isDir = false): boolean {
  return IgnoreMatcher.parse(patterns).ignores(path, isDir);
}

describe('IgnoreMatcher', () => {
  test('comments, blank lines and trailing spaces', () => {
    const m = '# a comment\n\n*.log   \n\\#literal\n';
    assert.equal(ignores(m, 'a.log'), true);
    assert.equal(ignores(m, '# a comment'), false);
    assert.equal(ignores(m, '#literal'), true);
  });

  test('a name without a slash matches at any depth; * and ? stop at /', () => {
    assert.equal(ignores('*.tmp', 'x.tmp'), true);
    assert.equal(ignores('*.tmp', 'deep/er/x.tmp'), true);
    assert.equal(ignores('a?c', 'dir/abc'), true);
    assert.equal(ignores('a?c', 'dir/a/c'), false);
    assert.equal(ignores('docs', 'src/docs', true), true);
  });

  test('a leading or middle slash anchors to the pack root', () => {
    assert.equal(ignores('/build', 'build', true), true);
    assert.equal(ignores('/build', 'src/build', true), false);
    assert.equal(ignores('integration/src', 'integration/src', true), true);
    assert.equal(ignores('integration/src', 'x/integration/src', true), false);
    assert.equal(ignores('logs/*.log', 'logs/a.log'), true);
    assert.equal(ignores('logs/*.log', 'logs/deep/a.log'), false);
  });

  test('a trailing slash matches directories only', () => {
    assert.equal(ignores('notes/', 'notes', true), true);
    assert.equal(ignores('notes/', 'notes', false), false);
    assert.equal(ignores('notes/', 'a/notes', true), true);
  });

  test('**: leading, middle and trailing', () => {
    assert.equal(ignores('**/drafts', 'drafts', true), true);
    assert.equal(ignores('**/drafts', 'a/b/drafts', true), true);
    assert.equal(ignores('a/**/b', 'a/b'), true);
    assert.equal(ignores('a/**/b', 'a/x/y/b'), true);
    assert.equal(ignores('a/**/b', 'c/a/x/b'), false);
    assert.equal(ignores('cache/**', 'cache/x/y'), true);
    assert.equal(ignores('cache/**', 'cache', true), false);
  });

  test('! re-includes; the last matching line wins', () => {
    const m = '*.json\n!keep.json\n';
    assert.equal(ignores(m, 'drop.json'), true);
    assert.equal(ignores(m, 'dir/keep.json'), false);
    assert.equal(ignores('!keep.json\n*.json\n', 'keep.json'), true);
    assert.equal(ignores('\\!bang', '!bang'), true);
  });

  test('character classes and escapes', () => {
    assert.equal(ignores('v[0-9].txt', 'v3.txt'), true);
    assert.equal(ignores('v[0-9].txt', 'vx.txt'), false);
    assert.equal(ignores('v[!0-9].txt', 'vx.txt'), true);
    assert.equal(ignores('v[!0-9].txt', 'v3.txt'), false);
    assert.equal(ignores('a[b', 'a[b'), true, 'an unclosed [ is literal');
    assert.equal(ignores('\\*.txt', '*.txt'), true);
    assert.equal(ignores('\\*.txt', 'a.txt'), false);
    assert.equal(ignores('file(1).txt', 'file(1).txt'), true);
    assert.equal(ignores('a+b-c', 'a+b-c'), true);
  });
});
