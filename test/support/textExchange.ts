import type http from 'node:http';

export interface TextResponse {
  status: number;
  body: string;
}

/**
 * Sends `request` (built without a response callback) with `body`, and resolves with the status and the
 * whole body as text; the request's own `timeout` option, when set, fails it with an error naming `label`.
 */
export function textExchange(request: http.ClientRequest, body: string | undefined, label: string): Promise<TextResponse> {
  return new Promise((resolve, reject) => {
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`${label} timed out`)));
    request.on('error', reject);
    request.end(body);
  });
}
