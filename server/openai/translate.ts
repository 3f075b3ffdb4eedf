/**
 * OpenAI-compatible request/response shapes ⇄ Ollama-native calls.
 *
 * Translating to native calls (instead of forwarding to Ollama's own /v1 layer) lets the relay set
 * `num_ctx` and avoid that layer's silent `temperature`/`top_p` = 1.0 defaults: an omitted sampling
 * parameter stays omitted, so the Modelfile's defaults apply.
 */
import type { ChatRequest, ChatResponse, GenerateRequest, GenerateResponse, Message, Options, Tool, ToolCall } from 'ollama';
import { RelayError } from '../errors';
import type { ChatCompletionRequest, ChatMessageInput, CompletionRequest } from './schemas';

type Sampling = Pick<CompletionRequest, 'max_tokens' | 'temperature' | 'top_p' | 'seed' | 'stop' | 'frequency_penalty' | 'presence_penalty'>;

export function nativeOptions(request: Sampling, numCtx: number | undefined, maxTokens = request.max_tokens): Partial<Options> {
  const options: Partial<Options> = {};
  if (maxTokens != null) options.num_predict = maxTokens;
  if (request.temperature != null) options.temperature = request.temperature;
  if (request.top_p != null) options.top_p = request.top_p;
  if (request.seed != null) options.seed = request.seed;
  if (request.stop != null) options.stop = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (request.frequency_penalty != null) options.frequency_penalty = request.frequency_penalty;
  if (request.presence_penalty != null) options.presence_penalty = request.presence_penalty;
  if (numCtx !== undefined) options.num_ctx = numCtx;
  return options;
}

export function toNativeChat(request: ChatCompletionRequest, numCtx: number | undefined): ChatRequest & { stream: true } {
  const native: ChatRequest & { stream: true } = {
    model: request.model,
    messages: request.messages.map((message) => toNativeMessage(message, toolNames(request.messages))),
    stream: true,
    options: nativeOptions(request, numCtx, request.max_completion_tokens ?? request.max_tokens),
  };
  if (request.tools?.length) native.tools = request.tools as unknown as Tool[];
  if (request.response_format?.type === 'json_object') native.format = 'json';
  if (request.response_format?.type === 'json_schema') native.format = request.response_format.json_schema?.schema ?? 'json';
  if (request.reasoning_effort) native.think = thinkLevel(request.reasoning_effort);
  return native;
}

/** Function names of the assistant's earlier tool calls by id, so each tool result can say which call it answers. */
function toolNames(messages: readonly ChatMessageInput[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const message of messages) for (const call of message.tool_calls ?? []) if (call.id) names.set(call.id, call.function.name);
  return names;
}

function toNativeMessage(message: ChatMessageInput, toolNamesById: ReadonlyMap<string, string>): Message & { tool_call_id?: string } {
  const native: Message & { tool_call_id?: string } = { role: message.role === 'developer' ? 'system' : message.role, content: '' };
  if (typeof message.content === 'string') native.content = message.content;
  else if (Array.isArray(message.content)) {
    const texts: string[] = [];
    const images: string[] = [];
    for (const part of message.content) {
      if (part.type === 'text') texts.push(part.text);
      else images.push(imageData(typeof part.image_url === 'string' ? part.image_url : part.image_url.url));
    }
    native.content = texts.join('\n');
    if (images.length) native.images = images;
  }
  if (message.tool_calls?.length) native.tool_calls = message.tool_calls.map(toNativeToolCall);
  if (message.role === 'tool') {
    const name = message.name ?? (message.tool_call_id ? toolNamesById.get(message.tool_call_id) : undefined);
    if (name) native.tool_name = name;
    if (message.tool_call_id) native.tool_call_id = message.tool_call_id;
  }
  return native;
}

function imageData(url: string): string {
  const match = /^data:image\/[\w.+-]+;base64,(.+)$/s.exec(url);
  if (!match) throw new RelayError(400, 'only base64 data: URLs are supported for images', 'invalid_image_url');
  return match[1]!;
}

function toNativeToolCall(call: { function: { name: string; arguments: string } }): ToolCall {
  let args: unknown;
  try {
    args = JSON.parse(call.function.arguments);
  } catch {
    throw new RelayError(400, `tool call "${call.function.name}" has arguments that are not valid JSON`);
  }
  if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new RelayError(400, `tool call "${call.function.name}" arguments must be a JSON object`);
  return { function: { name: call.function.name, arguments: args as Record<string, unknown> } };
}

function thinkLevel(effort: NonNullable<ChatCompletionRequest['reasoning_effort']>): boolean | 'low' | 'medium' | 'high' {
  if (effort === 'none') return false;
  if (effort === 'minimal') return 'low';
  if (effort === 'max') return 'high';
  return effort;
}

export function toNativeGenerate(request: CompletionRequest, numCtx: number | undefined): GenerateRequest & { stream: true } {
  const native: GenerateRequest & { stream: true } = { model: request.model, prompt: request.prompt, stream: true, options: nativeOptions(request, numCtx) };
  if (request.suffix) native.suffix = request.suffix;
  return native;
}

export function finishReason(doneReason: string | undefined, hasToolCalls: boolean): 'stop' | 'length' | 'tool_calls' {
  if (hasToolCalls) return 'tool_calls';
  return doneReason === 'length' ? 'length' : 'stop';
}

export function usageOf(final: ChatResponse | GenerateResponse | undefined): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const prompt = final?.prompt_eval_count ?? 0;
  const completion = final?.eval_count ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export function toOpenAiToolCalls(calls: ToolCall[], offset: number): Array<Record<string, unknown>> {
  return calls.map((call, index) => ({
    index: offset + index,
    id: `call_${Math.random().toString(36).slice(2, 10)}`,
    type: 'function',
    function: { name: call.function.name, arguments: JSON.stringify(call.function.arguments) },
  }));
}

/** Float32 little-endian, base64: what `encoding_format: "base64"` means (and what the openai client asks for by default). */
export function embeddingToBase64(vector: number[]): string {
  const floats = Float32Array.from(vector);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString('base64');
}
