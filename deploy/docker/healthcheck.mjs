// Container health check: GET /healthz on the relay's own port, over https when the relay serves TLS
// itself. Exit 0 when it answers 200 within 4 s, 1 otherwise. Only liveness of this very process is
// checked, on loopback, so the certificate's name is not verified here (it names the public host).
import http from 'node:http';
import https from 'node:https';

const secure = Boolean(process.env.TLS_CERT_FILE);
const port = Number(process.env.PORT || 11435);
const client = secure ? https : http;
const request = client.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 4_000, rejectUnauthorized: false }, (response) => {
  response.resume();
  process.exit(response.statusCode === 200 ? 0 : 1);
});
request.on('timeout', () => request.destroy(new Error('timed out')));
request.on('error', () => process.exit(1));
