/**
 * Takes the code out of a model's answer to an edit prompt (Fix, Add Docs, Refactor) and fits it to
 * the selection it replaces. Models wrap the code in a fence as asked, but sometimes add prose around
 * it, drop the selection's indentation or its trailing newline; this module absorbs exactly that and
 * nothing more. An unterminated fence means the answer was cut off, so it yields no proposal.
 */

interface FencedBlock {
  info: string;
  code: string;
}

/** The CommonMark-style fenced blocks (``` or ~~~, up to three spaces of indent) that are closed. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  const lines = markdown.split(/\r?\n/);
  let open: { marker: string; info: string; indent: number; body: string[] } | undefined;
  for (const line of lines) {
    if (!open) {
      const start = /^( {0,3})(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/.exec(line);
      if (start?.[1] !== undefined && start[2] && start[3] !== undefined) {
        open = { marker: start[2], info: start[3], indent: start[1].length, body: [] };
      }
      continue;
    }
    const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
    if (close?.[1] && close[1][0] === open.marker[0] && close[1].length >= open.marker.length) {
      blocks.push({ info: open.info, code: open.body.join('\n') });
      open = undefined;
      continue;
    }
    // Inside a fence, CommonMark removes up to the opening fence's own indentation from each line.
    const indent = open.indent;
    open.body.push(line.replace(new RegExp(`^ {0,${indent}}`), ''));
  }
  return blocks;
}

/** The proposed replacement: the longest closed fenced block, or undefined when there is none. */
export function extractProposal(answer: string): string | undefined {
  const blocks = fencedBlocks(answer);
  if (blocks.length === 0) return undefined;
  return blocks.reduce((best, block) => (block.code.length > best.code.length ? block : best)).code;
}

/**
 * Makes the proposal a drop-in for `original` (whole lines, as the edit commands send them): restores
 * the selection's common indentation when the model dropped it, and matches the presence of a trailing
 * newline and the line ending style.
 */
export function fitProposal(original: string, proposal: string): string {
  const eol = original.includes('\r\n') ? '\r\n' : '\n';
  let lines = proposal.replace(/\r\n/g, '\n').split('\n');
  while (lines.length > 1 && lines[lines.length - 1] === '') lines = lines.slice(0, -1);
  const originalIndent = commonIndent(original.replace(/\r\n/g, '\n').split('\n'));
  if (originalIndent && commonIndent(lines) === '') {
    lines = lines.map((line) => (line.trim() ? originalIndent + line : line));
  }
  const trailing = /\r?\n$/.test(original) ? eol : '';
  return lines.join(eol) + trailing;
}

function commonIndent(lines: readonly string[]): string {
  const indents = lines.filter((line) => line.trim()).map((line) => /^[ \t]*/.exec(line)?.[0] ?? '');
  if (indents.length === 0) return '';
  return indents.reduce((common, indent) => {
    let i = 0;
    while (i < common.length && i < indent.length && common[i] === indent[i]) i += 1;
    return common.slice(0, i);
  });
}
