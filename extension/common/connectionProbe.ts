/**
 * "Test Connection": walks the path a request takes and names the first thing that is wrong, in words
 * the user can act on. Works the same against the relay and against a plain local Ollama (no token).
 *
 *   GET /             relay (or Ollama) reachable at all — no token needed
 *   GET /api/version  token accepted, Ollama behind the relay up
 *   GET /api/tags     models listed
 *   chosen models     installed?
 */
import { describeError, withoutCredentials } from './errors';
import { listModels, sameModel } from './modelCatalog';
import { createOllamaClient, type RelayEndpoint } from './relayClient';

export interface ProbeStep {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ConnectionReport {
  ok: boolean;
  /** One sentence: what works, or the first problem found. */
  summary: string;
  steps: ProbeStep[];
}

export interface ChosenModels {
  chat?: string;
  completion?: string;
}

const PROBE_TIMEOUT_MS = 8000;

/** Why `GET /` failed, always starting "Relay unreachable at <url>" unless the user cancelled. */
function unreachable(error: unknown, url: string, signal: AbortSignal): string {
  const described = describeError(error, { url }, signal);
  if (signal.aborted) return 'Cancelled';
  if (error instanceof Error && error.name === 'TimeoutError') return `Relay unreachable at ${withoutCredentials(url)} (no answer within ${PROBE_TIMEOUT_MS / 1000} s)`;
  return described.kind === 'unreachable' ? described.message : `Relay unreachable at ${withoutCredentials(url)} (${described.message})`;
}

export async function probeConnection(endpoint: RelayEndpoint, models: ChosenModels, signal: AbortSignal): Promise<ConnectionReport> {
  const steps: ProbeStep[] = [];
  const fail = (name: string, detail: string): ConnectionReport => {
    steps.push({ name, ok: false, detail });
    return { ok: false, summary: detail, steps };
  };
  const requestSignal = (): AbortSignal => AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]);
  const shownUrl = withoutCredentials(endpoint.url);

  try {
    const response = await fetch(`${endpoint.url}/`, { signal: requestSignal() });
    const body = (await response.text()).trim().slice(0, 200);
    if (!response.ok) return fail('reachable', `The server at ${shownUrl} answered ${response.status} ${body}`.trim());
    steps.push({ name: 'reachable', ok: true, detail: `${shownUrl} answered: ${body || response.status}` });
  } catch (error) {
    return fail('reachable', unreachable(error, endpoint.url, signal));
  }

  let version: string;
  try {
    version = (await createOllamaClient(endpoint, requestSignal()).version()).version;
    steps.push({ name: 'version', ok: true, detail: `Token accepted; Ollama ${version}` });
  } catch (error) {
    return fail('version', describeError(error, { url: endpoint.url }, signal).message);
  }

  let installed: string[];
  try {
    installed = (await listModels(endpoint, requestSignal())).map((model) => model.name);
    steps.push({ name: 'models', ok: true, detail: `${installed.length} model(s) installed` });
  } catch (error) {
    return fail('models', describeError(error, { url: endpoint.url }, signal).message);
  }
  if (installed.length === 0) return fail('models', 'No models are installed on the Ollama host — pull one there with `ollama pull <model>`');

  for (const [purpose, model] of [['chat', models.chat], ['completion', models.completion]] as const) {
    if (!model) {
      steps.push({ name: `${purpose} model`, ok: true, detail: `No ${purpose} model chosen: one is picked automatically` });
      continue;
    }
    if (!installed.some((name) => sameModel(name, model))) return fail(`${purpose} model`, `Model '${model}' is not installed on the Ollama host`);
    steps.push({ name: `${purpose} model`, ok: true, detail: `${purpose} model '${model}' is installed` });
  }
  return { ok: true, summary: `Connected to ${shownUrl}: Ollama ${version}, ${installed.length} model(s) available`, steps };
}
