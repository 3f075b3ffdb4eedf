import assert from 'node:assert/strict';
import { effectiveContextLength, parseShowResponse, pickFimModel } from '../../../extension/common/completion/modelInfo';

describe('model info', () => {
  it('reads capabilities, architecture and the architecture context length from /api/show', () => {
    const info = parseShowResponse('qwen2.5-coder:1.5b', {
      details: { family: 'qwen2' },
      model_info: { 'general.architecture': 'qwen2', 'qwen2.context_length': 32768, 'llama.context_length': 4096 },
      capabilities: ['completion', 'insert'],
    });
    assert.deepEqual(info, { model: 'qwen2.5-coder:1.5b', capabilities: ['completion', 'insert'], architecture: 'qwen2', contextLength: 32768 });
  });

  it('falls back to details.family and to any *.context_length key', () => {
    const info = parseShowResponse('m', { details: { family: 'llama' }, model_info: { 'mistral.context_length': 16384 } });
    assert.deepEqual(info, { model: 'm', capabilities: [], architecture: 'llama', contextLength: 16384 });
  });

  it('tolerates missing or null fields (older Ollama)', () => {
    assert.deepEqual(parseShowResponse('m', { capabilities: null, model_info: null }), { model: 'm', capabilities: [] });
    assert.deepEqual(parseShowResponse('m', { model_info: { 'x.context_length': -1 } }), { model: 'm', capabilities: [] });
  });

  it('rejects a body that is not an object', () => {
    assert.throws(() => parseShowResponse('m', 'Ollama is running'), /Unexpected \/api\/show answer for 'm'/);
    assert.throws(() => parseShowResponse('m', { capabilities: 'insert' }), /Unexpected/);
  });

  it('sends min(configured bound, model context) as num_ctx', () => {
    assert.equal(effectiveContextLength({ contextLength: 32768 }, 8192), 8192);
    assert.equal(effectiveContextLength({ contextLength: 2048 }, 8192), 2048);
    assert.equal(effectiveContextLength({}, 8192), 8192);
    assert.equal(effectiveContextLength(undefined, 4096.7), 4096);
    assert.equal(effectiveContextLength({ contextLength: 2048 }, Number.NaN), 2048);
    assert.equal(effectiveContextLength(undefined, 0), 8192);
  });

  describe('automatic model pick from /api/tags', () => {
    it('takes the first model with the insert capability', () => {
      const body = { models: [{ name: 'llama3.2:1b', capabilities: ['completion'] }, { name: 'my-fim:latest', capabilities: ['completion', 'insert'] }] };
      assert.equal(pickFimModel(body), 'my-fim:latest');
    });

    it('takes a known FIM family by name when capabilities are not listed', () => {
      const body = { models: [{ name: 'llama3.2:1b', details: { family: 'llama' } }, { model: 'codellama:7b-code' }, { name: 'qwen2.5-coder:1.5b' }] };
      assert.equal(pickFimModel(body), 'codellama:7b-code');
    });

    it('does not take a chat model because its architecture has FIM tokens', () => {
      assert.equal(pickFimModel({ models: [{ name: 'qwen2.5:7b', details: { family: 'qwen2' } }] }), undefined);
      assert.equal(pickFimModel({ models: [] }), undefined);
    });

    it('prefers a model Ollama says can insert over an earlier one that only matches by name', () => {
      const body = {
        models: [
          { name: 'codellama:7b-instruct', model: 'codellama:7b-instruct', capabilities: ['completion'] },
          { name: 'qwen2.5-coder:1.5b-base', model: 'qwen2.5-coder:1.5b-base', capabilities: ['completion', 'insert'] },
        ],
      };
      assert.equal(pickFimModel(body), 'qwen2.5-coder:1.5b-base');
      assert.equal(pickFimModel({ models: [{ name: 'starcoder2:3b', capabilities: ['completion'] }] }), undefined, 'capabilities listed without insert: never by name');
      assert.equal(pickFimModel({ models: [{ name: 'starcoder2:3b', capabilities: [] }] }), undefined, 'an empty list is still a list');
    });

    it('skips instruct, chat and python variants when picking by name', () => {
      const body = { models: [{ name: 'codellama:7b-instruct' }, { name: 'codellama:13b-python' }, { name: 'deepseek-coder:6.7b-chat' }, { name: 'codegemma:7b-it' }, { name: 'codellama:7b-code' }] };
      assert.equal(pickFimModel(body), 'codellama:7b-code');
      assert.equal(pickFimModel({ models: [{ name: 'codellama:7b-instruct' }] }), undefined);
    });

    it('rejects a malformed list', () => {
      assert.throws(() => pickFimModel({ models: 'none' }), /Unexpected \/api\/tags answer/);
    });
  });
});
