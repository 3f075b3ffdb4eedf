import assert from 'node:assert/strict';
import { remainderAfter, typedSince, type CompletionRecord } from '../../../extension/common/completion/typedThrough';

describe('typed-through reuse', () => {
  const settled: CompletionRecord = { prefix: 'return ', suffix: ';\n}', model: 'm', settled: true, text: 'a + b' };

  it('returns what was typed when it matches the start of the completion', () => {
    assert.equal(typedSince(settled, { prefix: 'return a +', suffix: ';\n}' }, ''), 'a +');
    assert.equal(remainderAfter(settled.text, 'a +'), ' b');
  });

  it('does not apply when the typed text diverges, is all of it, or the suffix changed', () => {
    assert.equal(typedSince(settled, { prefix: 'return b', suffix: ';\n}' }, ''), undefined);
    assert.equal(typedSince(settled, { prefix: 'return a + b', suffix: ';\n}' }, ''), undefined);
    assert.equal(typedSince(settled, { prefix: 'return a', suffix: ');\n}' }, ''), undefined);
    assert.equal(typedSince(settled, { prefix: 'retur', suffix: ';\n}' }, ''), undefined);
  });

  it('does not apply to another configured model', () => {
    assert.equal(typedSince(settled, { prefix: 'return a', suffix: ';\n}' }, 'other'), undefined);
    assert.equal(typedSince(settled, { prefix: 'return a', suffix: ';\n}' }, 'm'), 'a');
  });

  it('applies to a pending completion at its position, or past it while what it streamed agrees with the typing', () => {
    const pending: CompletionRecord = { ...settled, settled: false, text: undefined, partial: '' };
    assert.equal(typedSince(pending, { prefix: 'return ', suffix: ';\n}' }, ''), '');
    assert.equal(typedSince(pending, { prefix: 'return xyz', suffix: ';\n}' }, ''), undefined, 'nothing streamed yet cannot vouch for typing');
    const streaming: CompletionRecord = { ...pending, partial: 'a +' };
    assert.equal(typedSince(streaming, { prefix: 'return a', suffix: ';\n}' }, ''), 'a');
    assert.equal(typedSince(streaming, { prefix: 'return a + b', suffix: ';\n}' }, ''), 'a + b', 'typing past the streamed text is checked when it settles');
    assert.equal(typedSince(streaming, { prefix: 'return x', suffix: ';\n}' }, ''), undefined);
  });

  it('leaves nothing when only whitespace would remain', () => {
    assert.equal(remainderAfter('a + b  ', 'a + b'), undefined);
    assert.equal(remainderAfter(undefined, ''), undefined);
  });
});
