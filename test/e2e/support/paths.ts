import path from 'node:path';

/** Repository root (this file lives in test/e2e/support). */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const e2eDir = path.join(repoRoot, 'test', 'e2e');
/** Failure screenshots and logs (gitignored). */
export const resultsDir = path.join(repoRoot, 'test-results', 'e2e');
/** Screenshots for the user guide, written only with E2E_SCREENSHOTS=1. */
export const docsImagesDir = path.join(repoRoot, 'docs', 'images');
export const codeServerBin = path.join(e2eDir, 'node_modules', '.bin', 'code-server');
export const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
