import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** The `data` fields of an SSE body, in order (comments and heartbeats are skipped by the parser). */
export function sseData(body: string): string[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  parser.feed(body);
  return events.map((e) => e.data);
}
