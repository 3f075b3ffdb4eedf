/** A JSON object (not null, not an array): the shape every suite checks before reading fields off a parsed body or log line. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
