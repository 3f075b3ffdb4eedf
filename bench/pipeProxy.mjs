// @ts-check
/**
 * The baseline the relay is compared with: the least a Node reverse proxy can do. `http.request` to the
 * upstream over a keep-alive agent, `pipe` both bodies, hop-by-hop headers dropped, and the upstream
 * request destroyed when the client goes away. No authentication, validation, metrics or logging.
 *
 * Environment: `PORT` (required), `UPSTREAM_URL` (required), `HOST` (default 127.0.0.1).
 */
import http from 'node:http';

const upstream = new URL(process.env.UPSTREAM_URL ?? '');
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, scheduling: 'lifo' });
const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'te', 'trailer'];

/** @param {http.IncomingHttpHeaders} headers */
function endToEnd(headers) {
  const copy = { ...headers };
  for (const name of HOP_BY_HOP) delete copy[name];
  return copy;
}

const server = http.createServer((req, res) => {
  const proxied = http.request(
    { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...endToEnd(req.headers), host: upstream.host }, agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      answer.pipe(res);
    },
  );
  proxied.on('error', () => {
    if (res.headersSent) res.destroy();
    else res.writeHead(502).end();
  });
  res.once('close', () => {
    if (!res.writableFinished) proxied.destroy();
  });
  req.pipe(proxied);
});

server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
