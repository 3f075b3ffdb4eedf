import './.setup';
import { strict as assert } from 'node:assert';
import { buildChatMessages, leftOutNote, planChatMessages } from '../../../extension/common/chatMessages';
import type { StoredTurn } from '../../../extension/common/chatSessions';
import {
  CHAT_SYSTEM_PROMPT,
  chatUserMessage,
  cleanCommitMessage,
  commitMessagePrompt,
  contextBudget,
  DIFF_BUDGET,
  diffBudget,
  editInputBudget,
  editPrompt,
  explainPrompt,
  fenceFor,
  fileBlock,
  PromptTooLargeError,
  selectionBlock,
  writeTestsPrompt,
  type CodeSelection,
  type FileContext,
} from '../../../extension/common/prompts';

const selection: CodeSelection = { path: 'src/sum.ts', languageId: 'typescript', startLine: 3, endLine: 5, text: 'function sum(a, b) {\n  return a - b;\n}\n' };

describe('prompts', () => {
  it('places the selection in a fenced block with its file, lines and language', () => {
    const block = selectionBlock(selection);
    assert.ok(block.startsWith('Selected code from `src/sum.ts` (lines 3–5, typescript):\n```typescript\n'));
    assert.ok(block.includes('return a - b;'));
    assert.ok(block.endsWith('}\n```'));
  });

  it('uses a fence longer than any backtick run inside the code', () => {
    assert.equal(fenceFor('no ticks'), '```');
    assert.equal(fenceFor('a ```` b'), '`````');
    const block = selectionBlock({ ...selection, text: 'const md = "```js\\n```";' });
    assert.ok(block.includes('````typescript\n'));
  });

  it('says so when the selection had to be cut', () => {
    const big = { ...selection, text: 'x'.repeat(500) };
    const block = selectionBlock(big, 100);
    assert.ok(block.includes('x'.repeat(100)) && !block.includes('x'.repeat(101)));
    assert.match(block, /The selection is truncated: only its first 100 of 500 characters are shown\./);
  });

  it('sends a small file whole, without a truncation note', () => {
    const file: FileContext = { path: 'a.py', languageId: 'python', text: 'print(1)\n' };
    const block = fileBlock(file);
    assert.ok(block.includes('print(1)'));
    assert.doesNotMatch(block, /truncated/);
  });

  it('cuts a large file to whole lines around the focus line and names the lines shown', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i + 1}`);
    const file: FileContext = { path: 'big.txt', languageId: 'plaintext', text: lines.join('\n'), focusLine: 500 };
    const block = fileBlock(file, 300);
    const note = /The file is truncated: showing lines (\d+)–(\d+) of 1000\./.exec(block);
    assert.ok(note, 'the truncation is announced');
    const [first, last] = [Number(note[1]), Number(note[2])];
    assert.ok(first <= 500 && last >= 500, 'the focus line is inside the window');
    assert.ok(block.includes(`line ${first}\n`) && block.includes(`line ${last}\n`));
    assert.ok(!block.includes(`line ${first - 1}\n`) && !block.includes(`line ${last + 1}\n`));
  });

  it('sizes context to the model window', () => {
    assert.deepEqual(contextBudget(2048), { file: 2457, selection: 1843 });
    assert.deepEqual(contextBudget(131072), { file: 24000, selection: 40000 });
  });

  it('attaches file and selection before the question, and nothing when none is given', () => {
    assert.equal(chatUserMessage('why?', {}), 'why?');
    const message = chatUserMessage('why?', { selection, file: { path: 'src/sum.ts', languageId: 'typescript', text: 'all of it' } });
    assert.ok(message.indexOf('Current file') < message.indexOf('Selected code'));
    assert.ok(message.endsWith('\n\nwhy?'));
  });

  it('asks Explain and Write Tests about the selection', () => {
    assert.match(explainPrompt(selection), /^Selected code from[\s\S]*Explain what this code does/);
    const tests = writeTestsPrompt(selection, { path: 'src/sum.ts', languageId: 'typescript', text: 'export {}' });
    assert.match(tests, /Current file[\s\S]*Selected code[\s\S]*Write unit tests/);
  });

  it('asks Fix, Add Docs and Refactor for exactly one fenced full replacement', () => {
    for (const kind of ['fix', 'docs', 'refactor'] as const) {
      const [system, user] = editPrompt(kind, selection);
      assert.equal(system?.role, 'system');
      assert.match(system?.content ?? '', /exactly one fenced code block that contains the complete replacement/);
      assert.ok(user?.content.includes('return a - b;'));
    }
    assert.match(editPrompt('fix', selection, ['line 4: Operator - is suspicious'])[1]?.content ?? '', /Problems the editor reports[\s\S]*- line 4: Operator - is suspicious/);
    assert.match(editPrompt('docs', selection)[1]?.content ?? '', /Do not change the code itself/);
  });

  it('asks for a commit message from the staged diff and announces a cut diff', () => {
    const [system, user] = commitMessagePrompt('diff --git a/x b/x\n+added\n');
    assert.match(system?.content ?? '', /summary line in the imperative mood of at most 72 characters/);
    assert.match(user?.content ?? '', /```diff\ndiff --git a\/x b\/x\n\+added\n```/);
    assert.match(commitMessagePrompt('y'.repeat(50), 10)[1]?.content ?? '', /The diff is truncated to fit the context window: only its first 10 of 50 characters are shown/);
  });

  it('sizes edits and diffs to the model window: an edit too large is refused in words, a diff is cut and says so', () => {
    assert.equal(editInputBudget(8192), 13107, '40% of the window at 4 characters per token');
    const big = { ...selection, text: 'x'.repeat(editInputBudget(4096) + 1) };
    assert.throws(
      () => editPrompt('fix', big, [], 4096),
      (error: unknown) =>
        error instanceof PromptTooLargeError &&
        error.message === "The selection is too large for the model's context (4096 tokens); select less or raise aide.contextLength",
    );
    assert.doesNotThrow(() => editPrompt('fix', big, [], 8192));
    assert.equal(diffBudget(2048), Math.floor(2048 * 0.6 * 4));
    assert.equal(diffBudget(262144), DIFF_BUDGET, 'never more than the fixed cap');
    const user = commitMessagePrompt('z'.repeat(10_000), diffBudget(2048))[1]?.content ?? '';
    assert.ok(user.length < 10_000);
    assert.match(user, /truncated to fit the context window: only its first 4915 of 10000 characters/);
  });

  it('cleans a commit message wrapped in a fence, quotes or a label', () => {
    assert.equal(cleanCommitMessage('```\nFix the sum\n\nIt subtracted.\n```'), 'Fix the sum\n\nIt subtracted.');
    assert.equal(cleanCommitMessage('Commit message: Fix the sum'), 'Fix the sum');
    assert.equal(cleanCommitMessage('"Fix the sum"'), 'Fix the sum');
    assert.equal(cleanCommitMessage('  Fix the sum  \n'), 'Fix the sum');
  });
});

describe('chat message list', () => {
  const turn = (role: 'user' | 'assistant', content: string, extra: Partial<StoredTurn> = {}): StoredTurn => ({ role, content, ...extra });

  it('starts with the system prompt and ends with the question', () => {
    assert.deepEqual(buildChatMessages([], 'q', 8192), [
      { role: 'system', content: CHAT_SYSTEM_PROMPT },
      { role: 'user', content: 'q' },
    ]);
  });

  it('replays what the model saw for earlier questions and leaves out failed exchanges', () => {
    const previous = [
      turn('user', 'shown', { modelContent: 'shown with context' }),
      turn('assistant', 'answer one'),
      turn('user', 'failed one'),
      turn('assistant', '', { error: 'boom' }),
    ];
    assert.deepEqual(buildChatMessages(previous, 'next', 8192).slice(1), [
      { role: 'user', content: 'shown with context' },
      { role: 'assistant', content: 'answer one' },
      { role: 'user', content: 'next' },
    ]);
  });

  it('drops the oldest exchanges first when the window is small, and says so in the system message', () => {
    const previous = [turn('user', 'old'.repeat(400)), turn('assistant', 'a'.repeat(1000)), turn('user', 'recent'), turn('assistant', 'recent answer')];
    const messages = buildChatMessages(previous, 'q', 1024);
    assert.deepEqual(messages.map((m) => m.content).slice(1), ['recent', 'recent answer', 'q']);
    const plan = planChatMessages(previous, 'q', 1024);
    assert.equal(plan.leftOut, 1);
    assert.equal(plan.messages[0]?.content, `${CHAT_SYSTEM_PROMPT}\n\n${leftOutNote(1)}`);
    assert.match(leftOutNote(1), /earliest exchange of this conversation is left out to fit the context window/);
    assert.equal(planChatMessages(previous, 'q', 8192).leftOut, 0, 'nothing left out: the plain system prompt');
  });
});
