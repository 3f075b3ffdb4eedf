import assert from 'node:assert/strict';
import { PassThrough, Readable, Writable } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { firstMalformedLine, forwardNdjson, withRelayInfo, type ForwardResult } from '../../../server/ndjsonForward';

/** A ServerResponse stand-in that records what the forwarder writes. */
class RecordingResponse extends Writable {
  status = 0;
  headers: Record<string, string | number> = {};
  readonly chunks: Buffer[] = [];
  writeHead(status: number, headers: Record<string, string | number>): this {
    this.status = status;
    this.headers = headers;
    return this;
  }
  flushHeaders(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    callback();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

const STREAM = [
  '{"model":"m","response":"h\u00e9","done":false}',
  '{"model":"m","response":"\u20ac \ud83e\udd99","done":false}',
  '{"model":"m","response":"","done":true,"done_reason":"stop","eval_count":2,"prompt_eval_count":3,"load_duration":5}',
]
  .map((line) => `${line}\n`)
  .join('');

async function run(source: Readable, relay = true): Promise<{ outcome: ForwardResult['outcome']; result: ForwardResult; res: RecordingResponse; final: unknown }> {
  const res = new RecordingResponse();
  let final: unknown;
  const result = await forwardNdjson(source, res as unknown as ServerResponse, {
    status: 200,
    head: () => ({ 'Content-Type': 'application/x-ndjson' }),
    relayInfo: relay ? () => ({ upstream: 'u', cache: 'MISS' }) : undefined,
    idleTimeoutMs: 5_000,
    onFirstByte: () => undefined,
    onFinal: (record) => {
      final = record;
    },
  });
  await new Promise((resolve) => setImmediate(resolve));
  return { outcome: result.outcome, result, res, final };
}

describe('NDJSON forwarding', () => {
  it('delivers the same lines at every split point, even inside a UTF-8 code point, and adds relay info only to the final record', async () => {
    const bytes = Buffer.from(STREAM);
    const expected = STREAM.replace('"load_duration":5}', '"load_duration":5,"relay":{"upstream":"u","cache":"MISS"}}');
    for (let split = 1; split < bytes.length; split++) {
      const { outcome, res, final } = await run(Readable.from([bytes.subarray(0, split), bytes.subarray(split)]));
      assert.equal(outcome, 'ok', `split at ${split}`);
      assert.equal(res.text(), expected, `split at ${split}`);
      assert.deepEqual(final, { promptTokens: 3, completionTokens: 2, loadNs: 5 });
    }
  });

  it('delivers every byte when the stream arrives one byte at a time', async () => {
    const bytes = Buffer.from(STREAM);
    const { res } = await run(Readable.from([...bytes].map((byte) => Buffer.from([byte]))));
    assert.equal(res.text().split('\n').length, 4);
    assert.match(res.text(), /"relay":\{"upstream":"u","cache":"MISS"\}\}\n$/);
  });

  it('ends a stream that stops before its final record with one terminal error line', async () => {
    const partial = STREAM.split('\n').slice(0, 2).join('\n') + '\n';
    const { outcome, res } = await run(Readable.from([Buffer.from(partial)]));
    assert.equal(outcome, 'upstream_error');
    const lines = res.text().trim().split('\n');
    assert.equal(lines.length, 3);
    assert.deepEqual(JSON.parse(lines[2]!), { error: 'upstream closed the stream before the final record' });
  });

  it('passes an upstream error line through unchanged and adds no second one', async () => {
    const withError = '{"response":"a","done":false}\n{"error":"model runner has unexpectedly stopped"}\n';
    const { outcome, res } = await run(Readable.from([Buffer.from(withError)]));
    assert.equal(outcome, 'upstream_error');
    assert.equal(res.text(), withError);
  });

  it('ends with a terminal error line when the upstream connection fails mid-stream', async () => {
    const source = new PassThrough();
    const running = run(source);
    source.write('{"response":"a","done":false}\n');
    source.destroy(new Error('socket hang up'));
    const { outcome, res } = await running;
    assert.equal(outcome, 'upstream_error');
    assert.match(res.text(), /^\{"response":"a","done":false\}\n\{"error":"upstream connection/);
  });

  it('ends a stalled stream after the idle timeout with an error line', async () => {
    const source = new PassThrough();
    const res = new RecordingResponse();
    const outcomePromise = forwardNdjson(source, res as unknown as ServerResponse, {
      status: 200,
      head: () => ({}),
      relayInfo: () => ({}),
      idleTimeoutMs: 30,
      onFirstByte: () => undefined,
      onFinal: () => undefined,
    });
    source.write('{"response":"a","done":false}\n');
    assert.equal((await outcomePromise).outcome, 'upstream_error');
    assert.match(res.text(), /upstream stalled: no data for 30 ms/);
    assert.equal(source.destroyed, true);
  });

  it('reports a stream that ends before any byte as a failure the caller can still answer with a status', async () => {
    const { result, res } = await run(Readable.from([]));
    assert.deepEqual(result, { outcome: 'failed_before_first_byte', reason: 'upstream closed the stream before the final record' });
    assert.equal(res.status, 0, 'no headers were sent');
  });

  it('stops at the first line that is not a JSON object and ends with an error line instead of forwarding garbage', async () => {
    const garbage = '{"response":"a","done":false}\n<html>proxy error</html>\n{"response":"b","done":false}\n';
    const { outcome, res } = await run(Readable.from([Buffer.from(garbage)]));
    assert.equal(outcome, 'upstream_error');
    assert.equal(res.text(), '{"response":"a","done":false}\n{"error":"upstream answered garbage: a line of its stream is not a JSON object"}\n');
  });

  it('answers garbage before the first byte as a failure without sending anything', async () => {
    const { result } = await run(Readable.from([Buffer.from('<html>bad gateway</html>\n')]));
    assert.equal(result.outcome, 'failed_before_first_byte');
  });

  it('finds malformed lines by their first and last byte', () => {
    assert.equal(firstMalformedLine(Buffer.from('{"a":1}\n{"b":2}\n')), -1);
    assert.equal(firstMalformedLine(Buffer.from('{"a":1}\r\n')), -1);
    assert.equal(firstMalformedLine(Buffer.from('{"a":1}\nnope\n')), 8);
    assert.equal(firstMalformedLine(Buffer.from('{"a":1')), 0);
  });

  it('forwards a non-streaming JSON body without a trailing newline', async () => {
    const body = '{"model":"m","response":"all","done":true,"eval_count":1}';
    const { res } = await run(Readable.from([Buffer.from(body)]));
    assert.equal(res.text(), '{"model":"m","response":"all","done":true,"eval_count":1,"relay":{"upstream":"u","cache":"MISS"}}');
  });

  it('treats a "done":true inside a tool call as text, not as the final record', async () => {
    const toolLine = '{"message":{"tool_calls":[{"function":{"name":"f","arguments":{"done":true}}}]},"done":false}\n';
    const finalLine = '{"message":{"content":""},"done":true,"eval_count":1}\n';
    const { res, final } = await run(Readable.from([Buffer.from(toolLine), Buffer.from(finalLine)]));
    assert.equal(res.text(), toolLine + finalLine.replace('"eval_count":1}', '"eval_count":1,"relay":{"upstream":"u","cache":"MISS"}}'));
    assert.deepEqual(final, { promptTokens: undefined, completionTokens: 1, loadNs: undefined });
  });

  it('records the first byte before it computes the relay info of a single-chunk answer', async () => {
    const res = new RecordingResponse();
    let firstByteSeen = false;
    await forwardNdjson(Readable.from([Buffer.from('{"response":"all","done":true}')]), res as unknown as ServerResponse, {
      status: 200,
      head: () => ({}),
      relayInfo: () => ({ first_byte_seen: firstByteSeen }),
      idleTimeoutMs: 5_000,
      onFirstByte: () => {
        firstByteSeen = true;
      },
      onFinal: () => undefined,
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(res.text(), '{"response":"all","done":true,"relay":{"first_byte_seen":true}}');
  });

  it('inserts relay info before the closing brace and keeps every other byte', () => {
    assert.equal(withRelayInfo('{"done":true}', { a: 1 }), '{"done":true,"relay":{"a":1}}');
    assert.equal(withRelayInfo('{}', { a: 1 }), '{"relay":{"a":1}}');
    assert.equal(withRelayInfo('not json', { a: 1 }), 'not json');
  });
});
