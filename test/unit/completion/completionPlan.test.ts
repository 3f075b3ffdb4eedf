import assert from 'node:assert/strict';
import { FimUnsupportedError, generateRequest, planCompletion, withoutInsert, type PlanInput } from '../../../extension/common/completion/completionPlan';
import { ALL_FIM_TOKENS, FIM_TEMPLATES } from '../../../extension/common/completion/fimTemplates';
import { supersedeKey } from '../../../extension/common/completion/supersedeKey';

const settings = { maxTokens: 64, maxLines: 4, prefixTokens: 1024, suffixTokens: 256, template: 'auto' as const, contextLength: 8192 };

function input(overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    prefix: 'def add(a, b):\n    return ',
    suffix: '\n\nprint(add(1, 2))\n',
    languageId: 'python',
    model: 'qwen2.5-coder:1.5b',
    info: { model: 'qwen2.5-coder:1.5b', capabilities: ['completion', 'insert'], architecture: 'qwen2', contextLength: 32768 },
    settings,
    insertRejected: false,
    ...overrides,
  };
}

describe('completion plan and request body', () => {
  it('uses suffix on /api/generate when the model has insert', () => {
    const body = generateRequest(planCompletion(input()));
    assert.deepEqual(body, {
      model: 'qwen2.5-coder:1.5b',
      prompt: 'def add(a, b):\n    return ',
      suffix: '\n\nprint(add(1, 2))\n',
      raw: false,
      stream: true,
      options: { num_predict: 64, temperature: 0.2, top_p: 0.9, num_ctx: 8192, stop: [...FIM_TEMPLATES.qwen.stop] },
    });
    assert.ok(!('keep_alive' in body), 'keep_alive is left to the host');
  });

  it('a forced template is used raw even when the model reports insert, with that family\'s stop list', () => {
    const forced = { ...settings, template: 'codestral' as const };
    const body = generateRequest(
      planCompletion(input({ model: 'my-coder:latest', info: { model: 'my-coder:latest', capabilities: ['completion', 'insert'], architecture: 'llama', contextLength: 16384 }, settings: forced })),
    );
    assert.equal(body.raw, true);
    assert.equal('suffix' in body, false);
    assert.equal(body.prompt, FIM_TEMPLATES.codestral.build('def add(a, b):\n    return ', '\n\nprint(add(1, 2))\n'));
    assert.deepEqual(body.options?.stop, [...FIM_TEMPLATES.codestral.stop]);
  });

  it('sends a one-newline suffix at the end of a file so Ollama keeps its FIM template', () => {
    assert.equal(generateRequest(planCompletion(input({ suffix: '' }))).suffix, '\n');
  });

  it('keeps the Modelfile stop list when the family is unknown', () => {
    const plan = planCompletion(input({ model: 'custom:latest', info: { model: 'custom:latest', capabilities: ['insert'], architecture: 'llama' } }));
    assert.equal(plan.family, undefined);
    assert.ok(!('stop' in generateRequest(plan).options!));
    assert.equal(plan.stopTokens, ALL_FIM_TOKENS);
  });

  it('falls back to the raw family template without insert', () => {
    const plan = planCompletion(input({ model: 'codellama:7b-code', info: { model: 'codellama:7b-code', capabilities: ['completion'], architecture: 'llama', contextLength: 16384 } }));
    const body = generateRequest(plan);
    assert.equal(body.raw, true);
    assert.equal(body.prompt, '<PRE> def add(a, b):\n    return  <SUF>\n\nprint(add(1, 2))\n <MID>');
    assert.equal(body.suffix, undefined);
    assert.deepEqual(body.options?.stop, ['<PRE>', '<SUF>', '<MID>', '<EOT>']);
  });

  it('lets the template setting choose the family', () => {
    const plan = planCompletion(input({ model: 'mine:latest', info: { model: 'mine:latest', capabilities: [] }, settings: { ...settings, template: 'codestral' } }));
    assert.equal(generateRequest(plan).prompt, '[SUFFIX]\n\nprint(add(1, 2))\n[PREFIX]def add(a, b):\n    return ');
  });

  it('uses the raw template after Ollama rejected insert for the model, with another cache key', () => {
    const first = planCompletion(input());
    const raw = withoutInsert(first);
    assert.equal(generateRequest(raw).raw, true);
    assert.equal(generateRequest(raw).prompt, FIM_TEMPLATES.qwen.build(first.prefix, first.suffix));
    assert.notEqual(raw.cacheKey, first.cacheKey);
    assert.equal(planCompletion(input({ insertRejected: true })).cacheKey, raw.cacheKey);
  });

  it('refuses a model that has neither insert nor a known template', () => {
    assert.throws(() => planCompletion(input({ model: 'llama3.2:1b', info: { model: 'llama3.2:1b', capabilities: ['completion', 'tools'], architecture: 'llama' } })), FimUnsupportedError);
    const unknownWithInsert = planCompletion(input({ model: 'x', info: { model: 'x', capabilities: ['insert'] } }));
    assert.throws(() => withoutInsert(unknownWithInsert), /aide.completion.template/);
  });

  it('sends a usable num_predict even when the setting is not a number', () => {
    const plan = planCompletion(input({ settings: { ...settings, maxTokens: Number.NaN, maxLines: Number.NaN } }));
    assert.equal(generateRequest(plan).options?.num_predict, 1);
    assert.equal(plan.rules.maxLines, 1);
  });

  it('turns thinking off for a thinking model so the budget goes to the answer', () => {
    const body = generateRequest(planCompletion(input({ info: { model: 'q', capabilities: ['insert', 'thinking'] } })));
    assert.equal(body.think, false);
    assert.ok(!('think' in generateRequest(planCompletion(input()))));
  });

  it('windows the prompt inside num_ctx and keys the cache on what changes the answer', () => {
    const prefix = 'x = 1\n'.repeat(5000);
    const plan = planCompletion(input({ prefix, info: { model: 'q', capabilities: ['insert'], contextLength: 2048 } }));
    assert.equal(plan.numCtx, 2048);
    assert.ok(plan.prefix.length <= (2048 - 64 - 32) * 4 && prefix.endsWith(plan.prefix) && plan.prefix.startsWith('x = 1'));
    const again = planCompletion(input({ prefix, info: { model: 'q', capabilities: ['insert'], contextLength: 2048 } }));
    assert.equal(again.cacheKey, plan.cacheKey);
    const otherModel = planCompletion(input({ prefix, model: 'other', info: { model: 'other', capabilities: ['insert'], contextLength: 2048 } }));
    assert.notEqual(otherModel.cacheKey, plan.cacheKey);
    assert.notEqual(planCompletion(input({ settings: { ...settings, maxLines: 1 } })).cacheKey, planCompletion(input()).cacheKey);
  });

  it('derives a stable, short, per-document supersede key that does not reveal the path', () => {
    const key = supersedeKey('file:///home/me/secret-project/a.ts');
    assert.match(key, /^[0-9a-f]{16}$/);
    assert.equal(key, supersedeKey('file:///home/me/secret-project/a.ts'));
    assert.notEqual(key, supersedeKey('file:///home/me/secret-project/b.ts'));
    assert.equal(supersedeKey(''), 'cbf29ce484222325'); // FNV-1a 64 offset basis
    assert.equal(supersedeKey('a'), 'af63dc4c8601ec8c'); // published FNV-1a 64 test vector
  });
});
