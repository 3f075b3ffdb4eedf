/** The engine against the shared faithful fake Ollama (test/fakes/fakeOllama.ts): real sockets, split UTF-8, real error texts. */
import assert from 'node:assert/strict';
import { CompletionEngine, type CompletionActivity, type CompletionRequest, type CompletionSettings } from '../../../extension/common/completion/engine';
import { supersedeKey } from '../../../extension/common/completion/supersedeKey';
import { DEFAULT_ERROR_MESSAGE, startFakeOllama, type FakeOllama } from '../../fakes/fakeOllama';

describe('completion engine against the fake Ollama', () => {
  let fake: FakeOllama;
  let engine: CompletionEngine;
  let activity: CompletionActivity[];
  let settings: CompletionSettings;

  beforeEach(async () => {
    fake = await startFakeOllama();
    activity = [];
    settings = { model: '', debounceMs: 0, maxTokens: 64, maxLines: 4, prefixTokens: 512, suffixTokens: 128, template: 'auto', contextLength: 8192 };
    engine = new CompletionEngine({ endpoint: () => ({ url: fake.url }), settings: () => settings, onActivity: (event) => activity.push(event) });
  });

  afterEach(async () => {
    engine.dispose();
    await fake.close();
  });

  const request = (overrides: Partial<CompletionRequest> = {}): CompletionRequest => ({
    documentKey: 'file:///w/main.ts',
    languageId: 'typescript',
    prefix: 'const total = ',
    suffix: ';\n',
    signal: new AbortController().signal,
    ...overrides,
  });

  it('picks qwen2.5-coder, sends suffix with num_ctx from /api/show, and decodes a stream split inside UTF-8', async () => {
    fake.behave({ splitChunks: true });
    const result = await engine.complete(request());
    assert.deepEqual({ ...result, latencyMs: 0 }, { text: 'echo: const total = é € 🦙', model: 'qwen2.5-coder:1.5b', latencyMs: 0, source: 'network' });
    const [generate] = fake.requestsTo('/api/generate');
    assert.deepEqual(generate?.body, {
      model: 'qwen2.5-coder:1.5b',
      prompt: 'const total = ',
      suffix: ';\n',
      raw: false,
      stream: true,
      options: {
        num_predict: 64,
        temperature: 0.2,
        top_p: 0.9,
        num_ctx: 8192,
        stop: ['<|endoftext|>', '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|fim_pad|>', '<|repo_name|>', '<|file_sep|>', '<|im_start|>', '<|im_end|>'],
      },
    });
    assert.equal(generate?.headers['x-relay-supersede'], supersedeKey('file:///w/main.ts'));
    assert.deepEqual(activity.map((event) => event.kind), ['start', 'end']);
  });

  it('prompts codellama with its raw template and cuts the template tokens the model echoes', async () => {
    settings.model = 'codellama:7b-code';
    const result = await engine.complete(request());
    assert.equal(result?.text, 'echo:');
    const body = fake.requestsTo('/api/generate')[0]?.body;
    assert.deepEqual(body, {
      model: 'codellama:7b-code',
      prompt: '<PRE> const total =  <SUF>;\n <MID>',
      raw: true,
      stream: true,
      options: { num_predict: 64, temperature: 0.2, top_p: 0.9, num_ctx: 8192, stop: ['<PRE>', '<SUF>', '<MID>', '<EOT>'] },
    });
  });

  it('stops the generation on the host once a single-line completion reaches its newline', async () => {
    fake.behave({ tokenDelayMs: 30 });
    settings.model = 'qwen2.5-coder:1.5b';
    const result = await engine.complete(request({ prefix: 'x\nconst total = ' }));
    assert.equal(result?.text, 'echo: x');
    await fake.waitFor((f) => f.stats.generationsAborted === 1, 2000, 'the generation to stop');
    assert.equal(fake.stats.generationsCompleted, 0);
  });

  it('reports a mid-stream failure once and resolves undefined', async () => {
    fake.behave({ errorAfterTokens: 2 });
    assert.equal(await engine.complete(request()), undefined);
    assert.equal(await engine.complete(request({ prefix: 'const net = ' })), undefined);
    const errors = activity.flatMap((event) => (event.kind === 'error' ? [event.message] : []));
    assert.equal(errors.length, 1);
    assert.ok(errors[0]?.includes(DEFAULT_ERROR_MESSAGE), errors[0]);
  });

  it('reports a model the host does not have', async () => {
    settings.model = 'qwen2.5-coder:32b';
    assert.equal(await engine.complete(request()), undefined);
    assert.deepEqual(
      activity.filter((event) => event.kind === 'error'),
      [{ kind: 'error', message: "Model 'qwen2.5-coder:32b' is not installed on the Ollama host" }],
    );
  });
});
