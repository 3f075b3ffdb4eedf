/** Test certificates, made at test time by the same script an operator runs (deploy/ollama-host/make-certs.sh). */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export const MAKE_CERTS = resolve(__dirname, '../../../deploy/ollama-host/make-certs.sh');

export interface CertSet {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** A private CA with a server certificate for `names` and a client certificate, in `dir`. */
export function makeCerts(dir: string, names: readonly string[] = ['127.0.0.1', 'localhost']): CertSet {
  execFileSync('sh', [MAKE_CERTS, dir, ...names], { stdio: 'pipe', timeout: 30_000 });
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
  };
}
