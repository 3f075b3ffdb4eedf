import assert from 'node:assert/strict';
import { CHARS_PER_TOKEN, fitBudget, TEMPLATE_RESERVE_TOKENS, windowPrefix, windowSuffix } from '../../../extension/common/completion/promptWindow';

describe('prompt windows', () => {
  const lines = Array.from({ length: 50 }, (_, i) => `line ${String(i).padStart(2, '0')} ${'x'.repeat(11)}\n`).join(''); // 20 chars a line

  it('keeps short text whole', () => {
    assert.equal(windowPrefix('abc', 10), 'abc');
    assert.equal(windowSuffix('abc', 10), 'abc');
  });

  it('keeps the end of the prefix, starting at a line start', () => {
    const prefix = `${lines}cursor line`;
    const window = windowPrefix(prefix, 25); // 100 chars
    assert.ok(prefix.endsWith(window));
    assert.ok(window.length <= 25 * CHARS_PER_TOKEN);
    assert.ok(window.startsWith('line '), JSON.stringify(window.slice(0, 12)));
    assert.ok(window.endsWith('cursor line'));
  });

  it('keeps the start of the suffix, ending after a whole line', () => {
    const window = windowSuffix(lines, 25);
    assert.ok(lines.startsWith(window));
    assert.ok(window.length <= 100 && window.endsWith('\n'));
    assert.equal(window, lines.slice(0, 100));
  });

  it('cuts one very long line mid-line rather than dropping it', () => {
    const long = 'y'.repeat(1000);
    assert.equal(windowPrefix(`a\n${long}`, 10), long.slice(-40));
    assert.equal(windowSuffix(`${long}\nb`, 10), long.slice(0, 40));
  });

  it('never splits a surrogate pair at the cut', () => {
    const emoji = '🦙'.repeat(30); // 60 UTF-16 units
    for (let tokens = 1; tokens < 15; tokens += 1) {
      for (const window of [windowPrefix(emoji, tokens), windowSuffix(emoji, tokens)]) {
        assert.ok(!/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(window), `tokens ${tokens}`);
      }
    }
  });

  it('returns nothing for a zero window', () => {
    assert.equal(windowPrefix('a\nb', 0), '');
    assert.equal(windowSuffix('\nb', 0), '');
  });

  it('fits both windows and the output into num_ctx, shrinking them in proportion', () => {
    assert.deepEqual(fitBudget(8192, 128, { prefixTokens: 1024, suffixTokens: 256 }), { prefixTokens: 1024, suffixTokens: 256 });
    const tight = fitBudget(1024, 128, { prefixTokens: 1024, suffixTokens: 256 });
    assert.equal(tight.prefixTokens + tight.suffixTokens, 1024 - 128 - TEMPLATE_RESERVE_TOKENS);
    assert.equal(tight.suffixTokens, Math.floor((864 * 256) / 1280));
    assert.deepEqual(fitBudget(100, 500, { prefixTokens: 10, suffixTokens: 10 }), { prefixTokens: 0, suffixTokens: 0 });
  });

  it('treats unusable numbers from settings as zero instead of propagating NaN', () => {
    assert.deepEqual(fitBudget(4096, Number.NaN, { prefixTokens: Number.NaN, suffixTokens: -5 }), { prefixTokens: 0, suffixTokens: 0 });
    assert.equal(windowPrefix('abc', Number.NaN), '');
    assert.equal(windowSuffix('abc', Number.POSITIVE_INFINITY), '');
  });
});
