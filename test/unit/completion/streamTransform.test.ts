import assert from 'node:assert/strict';
import { completionMode, shapeRulesFor, type ShapeRules } from '../../../extension/common/completion/completionShape';
import { FIM_TEMPLATES } from '../../../extension/common/completion/fimTemplates';
import { collectText, completionStream, cutAtStopTokens, responseText, shapeCompletion } from '../../../extension/common/completion/streamTransform';

async function* fromPieces(pieces: readonly string[]): AsyncGenerator<string> {
  for (const piece of pieces) yield piece;
}

async function* chunksOf(pieces: readonly unknown[]): AsyncGenerator<unknown> {
  for (const piece of pieces) yield typeof piece === 'string' ? { response: piece, done: false } : piece;
}

const multiLine: ShapeRules = { mode: 'multi-line', maxLines: 8, suffixFirstLine: '', lineSuffix: '', singleQuoteStrings: true };
const singleLine: ShapeRules = { ...multiLine, mode: 'single-line' };

/** Every way to cut `text` in two, in three (around each index), and one UTF-16 unit per piece. */
function splits(text: string): string[][] {
  const result: string[][] = [[text], [...text.split('')]];
  for (let i = 0; i <= text.length; i += 1) {
    result.push([text.slice(0, i), text.slice(i)]);
    for (let j = i; j <= Math.min(text.length, i + 7); j += 1) result.push([text.slice(0, i), text.slice(i, j), text.slice(j)]);
  }
  return result;
}

async function pipeline(pieces: readonly string[], rules: ShapeRules, tokens: readonly string[]): Promise<{ text: string; aborted: number }> {
  let aborted = 0;
  const text = await collectText(completionStream(chunksOf(pieces), { stopTokens: tokens, rules, abortRequest: () => (aborted += 1) }));
  return { text, aborted };
}

async function assertAtEverySplit(sample: string, rules: ShapeRules, tokens: readonly string[], expected: string): Promise<void> {
  for (const pieces of splits(sample)) {
    const { text, aborted } = await pipeline(pieces, rules, tokens);
    assert.equal(text, expected, `split ${JSON.stringify(pieces)}`);
    assert.equal(aborted, 1, 'the request is closed exactly once');
  }
}

describe('completion stream transform', () => {
  describe('at every split point of a sample stream', () => {
    it('multi-line: keeps strings intact, stops at the bracket closing past the cursor, cuts a leaked token', async () => {
      const sample = '  const x = [1, 2];\n  if (x) {\n    return "} 🦙é";\n  }\n}\n<|endoftext|>garbage';
      await assertAtEverySplit(sample, multiLine, FIM_TEMPLATES.qwen.stop, '  const x = [1, 2];\n  if (x) {\n    return "} 🦙é";\n  }');
    });

    it('single-line: stops at the first newline and trims trailing whitespace', async () => {
      await assertAtEverySplit('foo(bar) é🦙  \nnext line\n', singleLine, FIM_TEMPLATES.qwen.stop, 'foo(bar) é🦙');
    });

    it('drops a leaked marker before any text and stops at a later stop token split across pieces', async () => {
      const deepseek = FIM_TEMPLATES.deepseek.stop;
      await assertAtEverySplit('<｜fim▁hole｜>return a + b;<｜end▁of▁sentence｜>\n}', singleLine, deepseek, 'return a + b;');
    });

    it('stops at maxLines and at a line repeating the suffix', async () => {
      const rules: ShapeRules = { ...multiLine, maxLines: 3, suffixFirstLine: 'return result' };
      await assertAtEverySplit('\n    a = 1\n\n    return result\n', rules, [], '\n    a = 1');
      await assertAtEverySplit('\n    a = 1\n    b = 2\n    c = 3\n    d = 4', rules, [], '\n    a = 1\n    b = 2\n    c = 3');
    });
  });

  describe('stop tokens', () => {
    const tokens = FIM_TEMPLATES.codellama.stop;
    const run = (pieces: string[]): Promise<string> => collectText(cutAtStopTokens(fromPieces(pieces), tokens));

    it('releases a held partial token that turns out to be text', async () => {
      assert.equal(await run(['a <EO', 'F> b']), 'a <EOF> b');
      assert.equal(await run(['x <PR']), 'x <PR');
    });

    it('ends before a token found mid-stream', async () => {
      assert.equal(await run(['abc <E', 'OT> more']), 'abc ');
    });

    it('drops tokens that lead the output, keeping the whitespace around them', async () => {
      assert.equal(await run([' ', '<MID>', '\n  x']), ' \n  x');
    });

    it('stops pulling from its source once a token is found', async () => {
      let pulled = 0;
      async function* source(): AsyncGenerator<string> {
        for (;;) {
          pulled += 1;
          yield pulled === 2 ? 'b<EOT>' : 'a';
        }
      }
      assert.equal(await collectText(cutAtStopTokens(source(), tokens)), 'ab');
      assert.equal(pulled, 2);
    });
  });

  describe('shaping rules', () => {
    const shape = (text: string, rules: ShapeRules): Promise<string> => collectText(shapeCompletion(fromPieces([text]), rules));

    it('chooses multi-line only at the end of a line or right after a block opener', () => {
      assert.equal(completionMode('  if (x) {', ''), 'multi-line');
      assert.equal(completionMode('  foo', '   '), 'multi-line');
      assert.equal(completionMode('function f() {', '}'), 'multi-line');
      assert.equal(completionMode('const a = [', '];'), 'multi-line');
      assert.equal(completionMode('  foo(', ')'), 'single-line');
      assert.equal(completionMode('  const x = ', 'y;'), 'single-line');
      assert.equal(completionMode('function f() {', '} // end'), 'single-line');
    });

    it('derives the rules from the text around the cursor', () => {
      const rules = shapeRulesFor('def f():\n    x = compute(', ')\n\n    return x\n', 'python', 5);
      assert.deepEqual(rules, { mode: 'single-line', maxLines: 5, suffixFirstLine: ')', lineSuffix: ')', singleQuoteStrings: true });
      assert.equal(shapeRulesFor('fn f<', '', 'rust', 0).maxLines, 1);
      assert.equal(shapeRulesFor('', '', 'rust', 3).singleQuoteStrings, false);
    });

    it('stops before a bracket that closes past the level open at the cursor', async () => {
      assert.equal(await shape('x, y), z', singleLine), 'x, y');
      assert.equal(await shape('g(h(1))) + 1', singleLine), 'g(h(1))');
      assert.equal(await shape('a[0]] = 1', singleLine), 'a[0]');
      assert.equal(await shape('\n  return 1;\n}\n\nfunction g() {}', multiLine), '\n  return 1;');
    });

    it('ignores brackets inside string literals, with escapes', async () => {
      assert.equal(await shape('")" + \'(\' + `]` + "\\")" + a) + b', singleLine), '")" + \'(\' + `]` + "\\")" + a');
    });

    it('knows when the cursor is inside a string literal', async () => {
      const rules = shapeRulesFor('print("hel', '")\n', 'python', 8);
      assert.equal(rules.openQuote, '"');
      assert.equal(await shape('lo, (world)") # done', rules), 'lo, (world)"');
      assert.equal(shapeRulesFor("// don't ", '\n', 'typescript', 8).openQuote, undefined);
    });

    it('treats a quote in Rust as a lifetime, not a string', async () => {
      const rust = shapeRulesFor('fn first(', ') {}', 'rust', 8);
      assert.equal(await shape("s: &'a str) -> &'a str", rust), "s: &'a str");
    });

    it('drops the rest of the cursor line when the completion repeats it', async () => {
      const rules = shapeRulesFor('let s = "', '";\n', 'typescript', 8);
      assert.equal(await shape('hello";', rules), 'hello');
      const plain = shapeRulesFor('const total = ', ' * rate;\n', 'typescript', 8);
      assert.equal(await shape('price * rate;', plain), 'price');
    });

    it('stops before a line that repeats the first line after the cursor', async () => {
      const rules = shapeRulesFor('def f():\n    result = 1\n    ', '\n    return result\n', 'python', 8);
      assert.equal(rules.mode, 'multi-line');
      assert.equal(await shape('result += 2\n    return result\n', rules), 'result += 2');
      assert.equal(await shape('return result', rules), '');
    });

    it('counts lines without the empty rest of the cursor line', async () => {
      const two = { ...multiLine, maxLines: 2 };
      assert.equal(await shape('a\nb\nc\n', two), 'a\nb');
      assert.equal(await shape('\n  a\n  b\n  c', two), '\n  a\n  b');
      assert.equal(await shape('a\nb\nc', { ...multiLine, maxLines: 1 }), 'a');
    });

    it('keeps inner blank lines and indentation but no trailing whitespace', async () => {
      assert.equal(await shape('a  \n\n  b \t\n\n   \n', multiLine), 'a  \n\n  b');
      assert.equal(await shape(' \n \n', multiLine), '');
      assert.equal(await shape('\n', singleLine), '');
    });
  });

  describe('closing the request', () => {
    it('aborts the request when a rule stops the stream, without reading further', async () => {
      let read = 0;
      let sourceClosed = false;
      async function* endless(): AsyncGenerator<{ response: string }> {
        try {
          for (;;) {
            read += 1;
            yield { response: read === 3 ? 'c\nd' : String.fromCharCode(96 + read) };
          }
        } finally {
          sourceClosed = true;
        }
      }
      let aborted = 0;
      const text = await collectText(completionStream(endless(), { stopTokens: [], rules: singleLine, abortRequest: () => (aborted += 1) }));
      assert.equal(text, 'abc');
      assert.equal(read, 3);
      assert.equal(aborted, 1);
      assert.ok(sourceClosed, 'the response iterator was closed');
    });

    it('aborts the request when the consumer breaks out early', async () => {
      let aborted = 0;
      const stream = responseText(chunksOf(['a', 'b', 'c']), () => (aborted += 1));
      for await (const piece of stream) {
        assert.equal(piece, 'a');
        break;
      }
      assert.equal(aborted, 1);
    });

    it('aborts the request when the stream fails, and passes the error on', async () => {
      async function* failing(): AsyncGenerator<{ response: string }> {
        yield { response: 'a' };
        throw new Error('model runner has unexpectedly stopped');
      }
      let aborted = 0;
      await assert.rejects(collectText(responseText(failing(), () => (aborted += 1))), /unexpectedly stopped/);
      assert.equal(aborted, 1);
    });

    it('skips chunks without a text response (thinking, malformed)', async () => {
      const chunks: unknown[] = [{ thinking: 'hmm', response: '' }, { response: 42 }, null, ['x'], 'ok'];
      assert.equal(await collectText(responseText(chunksOf(chunks), () => undefined)), 'ok');
    });
  });
});
