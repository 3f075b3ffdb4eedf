/**
 * The route table: which paths the relay serves, which it refuses, and how each is authenticated.
 * Paths are matched after WHATWG normalisation (`/api/../api/pull` is `/api/pull`), and only the
 * canonical path from this table is ever sent upstream.
 */
export type RouteKind =
  | { kind: 'root' }
  | { kind: 'health' }
  | { kind: 'ready' }
  | { kind: 'metrics' }
  | { kind: 'native'; path: string; methods: readonly string[]; inference: boolean }
  | { kind: 'openai'; handler: 'chat' | 'completions' | 'embeddings' | 'models' | 'model'; methods: readonly string[]; model?: string }
  | { kind: 'forbidden' }
  | { kind: 'unknown' };

const NATIVE: Record<string, { methods: readonly string[]; inference: boolean }> = {
  '/api/chat': { methods: ['POST'], inference: true },
  '/api/generate': { methods: ['POST'], inference: true },
  '/api/embed': { methods: ['POST'], inference: false },
  '/api/embeddings': { methods: ['POST'], inference: false },
  '/api/show': { methods: ['POST'], inference: false },
  '/api/tags': { methods: ['GET', 'HEAD'], inference: false },
  '/api/ps': { methods: ['GET'], inference: false },
  '/api/version': { methods: ['GET', 'HEAD'], inference: false },
};

/** Routes that change the Ollama host's disk or registry, or act with its ollama.com identity. */
const FORBIDDEN = /^\/api\/(pull|push|create|copy|delete|blobs(\/.*)?|me|signout|user(\/.*)?|experimental(\/.*)?)$/;

export function classify(pathname: string): RouteKind {
  if (pathname === '/') return { kind: 'root' };
  if (pathname === '/healthz') return { kind: 'health' };
  if (pathname === '/readyz') return { kind: 'ready' };
  if (pathname === '/metrics') return { kind: 'metrics' };
  const native = NATIVE[pathname];
  if (native) return { kind: 'native', path: pathname, ...native };
  if (FORBIDDEN.test(pathname)) return { kind: 'forbidden' };
  switch (pathname) {
    case '/v1/chat/completions':
      return { kind: 'openai', handler: 'chat', methods: ['POST'] };
    case '/v1/completions':
      return { kind: 'openai', handler: 'completions', methods: ['POST'] };
    case '/v1/embeddings':
      return { kind: 'openai', handler: 'embeddings', methods: ['POST'] };
    case '/v1/models':
      return { kind: 'openai', handler: 'models', methods: ['GET'] };
  }
  const model = /^\/v1\/models\/(.+)$/.exec(pathname);
  if (model) return { kind: 'openai', handler: 'model', methods: ['GET'], model: safeDecode(model[1]!) };
  return { kind: 'unknown' };
}

/** Route label for logs and metrics: a fixed set of values, never raw client text. */
export function routeLabel(route: RouteKind, pathname: string): string {
  switch (route.kind) {
    case 'native':
      return route.path;
    case 'openai':
      return route.handler === 'model' ? '/v1/models/:model' : pathname;
    case 'forbidden':
      return 'forbidden';
    case 'unknown':
      return 'unknown';
    case 'root':
      return '/';
    case 'health':
      return '/healthz';
    case 'ready':
      return '/readyz';
    case 'metrics':
      return '/metrics';
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Ollama routes `:cloud`/`-cloud` models to ollama.com with the host's own sign-in. */
export function isCloudModel(model: string): boolean {
  return /[:-]cloud$/i.test(model);
}
