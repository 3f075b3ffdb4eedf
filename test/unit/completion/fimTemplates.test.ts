import assert from 'node:assert/strict';
import { ALL_FIM_TOKENS, detectFimFamily, FIM_FAMILIES, FIM_TEMPLATES } from '../../../extension/common/completion/fimTemplates';

describe('FIM templates', () => {
  const P = 'def add(a, b):\n    ';
  const S = '\n\nprint(add(1, 2))\n';

  it('builds the qwen2.5-coder prompt with its pipe tokens', () => {
    assert.equal(FIM_TEMPLATES.qwen.build(P, S), `<|fim_prefix|>${P}<|fim_suffix|>${S}<|fim_middle|>`);
    assert.deepEqual(FIM_TEMPLATES.qwen.stop, [
      '<|endoftext|>', '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|fim_pad|>', '<|repo_name|>', '<|file_sep|>', '<|im_start|>', '<|im_end|>',
    ]);
  });

  it('builds the deepseek-coder prompt with fullwidth bars and the lower-eighth-block character', () => {
    const prompt = FIM_TEMPLATES.deepseek.build(P, S);
    assert.equal(prompt, `<｜fim▁begin｜>${P}<｜fim▁hole｜>${S}<｜fim▁end｜>`);
    assert.ok(prompt.includes('\uFF5C') && prompt.includes('\u2581'));
    assert.ok(!prompt.includes('<|fim'), 'ASCII bars would be tokenised as plain text');
    assert.deepEqual(FIM_TEMPLATES.deepseek.stop, ['<｜fim▁begin｜>', '<｜fim▁hole｜>', '<｜fim▁end｜>', '<｜end▁of▁sentence｜>']);
  });

  it('builds the codellama prompt with the spaces it was trained on', () => {
    assert.equal(FIM_TEMPLATES.codellama.build(P, S), `<PRE> ${P} <SUF>${S} <MID>`);
    assert.deepEqual(FIM_TEMPLATES.codellama.stop, ['<PRE>', '<SUF>', '<MID>', '<EOT>']);
  });

  it('builds the starcoder2 / stable-code prompt with underscore tokens', () => {
    assert.equal(FIM_TEMPLATES.starcoder.build(P, S), `<fim_prefix>${P}<fim_suffix>${S}<fim_middle>`);
    assert.deepEqual(FIM_TEMPLATES.starcoder.stop, ['<fim_prefix>', '<fim_suffix>', '<fim_middle>', '<file_sep>', '<|endoftext|>']);
  });

  it('builds the codegemma prompt and stops at its file separator and turn markers', () => {
    assert.equal(FIM_TEMPLATES.codegemma.build(P, S), `<|fim_prefix|>${P}<|fim_suffix|>${S}<|fim_middle|>`);
    assert.deepEqual(FIM_TEMPLATES.codegemma.stop, ['<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>', '<|file_separator|>', '<end_of_turn>', '<eos>']);
  });

  it('builds the codestral prompt suffix first', () => {
    assert.equal(FIM_TEMPLATES.codestral.build(P, S), `[SUFFIX]${S}[PREFIX]${P}`);
    assert.deepEqual(FIM_TEMPLATES.codestral.stop, ['[PREFIX]', '[SUFFIX]']);
  });

  it('keeps the prefix and suffix verbatim, including template-like text', () => {
    for (const family of FIM_FAMILIES) {
      const prompt = FIM_TEMPLATES[family].build('a {{ .Prompt }} $1', 'b $& c');
      assert.ok(prompt.includes('a {{ .Prompt }} $1') && prompt.includes('b $& c'), family);
    }
  });

  it('collects every family token once for leak stripping', () => {
    assert.equal(new Set(ALL_FIM_TOKENS).size, ALL_FIM_TOKENS.length);
    for (const family of FIM_FAMILIES) for (const token of FIM_TEMPLATES[family].stop) assert.ok(ALL_FIM_TOKENS.includes(token));
  });

  describe('family detection', () => {
    const cases: Array<[string, string | undefined, string | undefined]> = [
      ['qwen2.5-coder:1.5b-base', undefined, 'qwen'],
      ['qwen2.5-coder', 'qwen2', 'qwen'],
      ['qwen3-coder:30b', undefined, 'qwen'],
      ['deepseek-coder:6.7b-base', 'llama', 'deepseek'],
      ['deepseek-coder-v2:16b', 'deepseek2', 'deepseek'],
      ['codellama:7b-code', 'llama', 'codellama'],
      ['starcoder2:3b', undefined, 'starcoder'],
      ['stable-code:3b-code', 'stablelm', 'starcoder'],
      ['codegemma:2b', 'gemma', 'codegemma'],
      ['codestral:22b', 'llama', 'codestral'],
      ['registry.example.com/team/Qwen2.5-Coder:7B', undefined, 'qwen'],
      ['my-completer:latest', 'qwen2', 'qwen'],
      ['my-completer:latest', 'starcoder2', 'starcoder'],
      ['llama3.2:1b', 'llama', undefined],
      ['gemma3:4b', 'gemma3', undefined],
      ['coder:latest', undefined, undefined],
    ];
    for (const [name, architecture, expected] of cases) {
      it(`${name} (${architecture ?? 'no architecture'}) → ${expected ?? 'unknown'}`, () => {
        assert.equal(detectFimFamily(name, architecture), expected);
      });
    }
  });
});
