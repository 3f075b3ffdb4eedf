/**
 * Runs the fake Ollama as its own process for the editor end-to-end suite:
 *
 *   node --import tsx test/fakes/fakeOllamaCli.ts [--port N]
 *
 * prints `FAKE_OLLAMA_URL=<url>` on stdout once listening, and exposes the control routes
 * `GET /_fake/stats`, `POST /_fake/behave` (JSON knobs, optional `model`) and `POST /_fake/reset`.
 */
import { startFakeOllama } from './fakeOllama';

function parsePort(argv: readonly string[]): number {
  const index = argv.indexOf('--port');
  if (index < 0) return 0;
  const value = argv[index + 1];
  const port = Number(value);
  if (value === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port needs an integer between 0 and 65535, got ${String(value)}`);
  }
  return port;
}

async function main(): Promise<void> {
  const fake = await startFakeOllama({ port: parsePort(process.argv.slice(2)), control: true });
  process.stdout.write(`FAKE_OLLAMA_URL=${fake.url}\n`);
  const stop = (): void => {
    fake.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`fake Ollama failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
