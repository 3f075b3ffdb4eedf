/**
 * pino JSON logs. Request lines carry a request id, the token *name*, route, status and timings.
 * Prompts and completions are never logged unless LOG_PROMPTS=1; headers are never logged, and the
 * redaction list is a second line of defence for fields that must never appear.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

export function createLogger(level: LogLevel, destination?: DestinationStream | NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { service: 'aide-relay' },
    redact: { paths: ['authorization', 'token', 'apiKey', 'headers.authorization', '*.authorization'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination as DestinationStream) : pino(options);
}
