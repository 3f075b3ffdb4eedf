import './.setup';
import { strict as assert } from 'node:assert';
import { extractProposal, fencedBlocks, fitProposal } from '../../../extension/common/proposal';

describe('Fix proposal extraction', () => {
  it('takes the code out of a single fenced block', () => {
    assert.equal(extractProposal('```ts\nconst a = 1;\n```'), 'const a = 1;');
  });

  it('ignores prose around the block', () => {
    const answer = 'Here is the fix:\n\n```python\ndef f():\n    return 1\n```\n\nThe bug was the missing return.';
    assert.equal(extractProposal(answer), 'def f():\n    return 1');
  });

  it('takes the longest block when the model adds a usage example', () => {
    const answer = '```js\nfunction sum(a, b) {\n  return a + b;\n}\n```\nUsage:\n```js\nsum(1, 2)\n```';
    assert.equal(extractProposal(answer), 'function sum(a, b) {\n  return a + b;\n}');
  });

  it('keeps inner fences of a longer outer fence, and tilde fences', () => {
    assert.equal(extractProposal('````md\n```js\nx\n```\n````'), '```js\nx\n```');
    assert.equal(extractProposal('~~~\ny = 2\n~~~'), 'y = 2');
  });

  it('handles CRLF answers and an indented fence', () => {
    assert.equal(extractProposal('text\r\n```c\r\nint x;\r\n```\r\n'), 'int x;');
    assert.deepEqual(fencedBlocks('  ```\n  a\n    b\n  ```'), [{ info: '', code: 'a\n  b' }]);
  });

  it('yields nothing for an answer without a block or with an unterminated one (cut off)', () => {
    assert.equal(extractProposal('I would rename the variable.'), undefined);
    assert.equal(extractProposal('```ts\nconst a = 1;\nconst b ='), undefined);
  });

  it('keeps an empty block as an empty proposal (delete the selection)', () => {
    assert.equal(extractProposal('```\n```'), '');
  });
});

describe('fitting a proposal to the selection', () => {
  it('restores the indentation the model dropped', () => {
    const original = '    if (x) {\n      y();\n    }\n';
    assert.equal(fitProposal(original, 'if (x) {\n  z();\n}'), '    if (x) {\n      z();\n    }\n');
  });

  it('leaves correctly indented code alone', () => {
    const original = '  a();\n  b();\n';
    assert.equal(fitProposal(original, '  a();\n  c();'), '  a();\n  c();\n');
  });

  it('matches the trailing newline of the selection', () => {
    assert.equal(fitProposal('a()', 'b()\n\n'), 'b()');
    assert.equal(fitProposal('a()\n', 'b()'), 'b()\n');
  });

  it('keeps CRLF documents CRLF', () => {
    assert.equal(fitProposal('a();\r\nb();\r\n', 'a();\nc();'), 'a();\r\nc();\r\n');
  });
});
