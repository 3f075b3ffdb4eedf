/**
 * Resolves `import 'vscode'` to the hand-written fake (test/fakes/vscode.ts). Imported first by every
 * test file under this folder: the tests run as CommonJS, so the hook is in place before any module
 * that imports `vscode` is required. Node 20 offers no public hook for CommonJS resolution, hence the
 * wrapper around `Module._resolveFilename`, installed once per process.
 */
import Module from 'node:module';
import * as path from 'node:path';

const FAKE_VSCODE = path.resolve(__dirname, '../../fakes/vscode.ts');
const INSTALLED = Symbol.for('aide.test.vscodeFake');

const original: unknown = Reflect.get(Module, '_resolveFilename');
if (typeof original === 'function' && !Reflect.get(Module, INSTALLED)) {
  Reflect.set(Module, '_resolveFilename', function resolveWithFake(this: unknown, request: unknown, ...rest: unknown[]): unknown {
    return request === 'vscode' ? FAKE_VSCODE : Reflect.apply(original, this, [request, ...rest]);
  });
  Reflect.set(Module, INSTALLED, true);
}
