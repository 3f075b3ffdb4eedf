import './.setup';
import { strict as assert } from 'node:assert';
import { ChatSessionStore, MAX_SESSIONS, MAX_STORED_CHARS, MAX_TURNS_PER_SESSION } from '../../../extension/common/chatSessions';
import { FakeMemento } from '../../fakes/vscode/context';

const KEY = 'aide.chat.sessions';

function store(memento = new FakeMemento()): { store: ChatSessionStore; memento: FakeMemento; clock: { now: number } } {
  const clock = { now: 1_000 };
  let id = 0;
  return { store: new ChatSessionStore(memento, KEY, () => clock.now, () => `s${++id}`), memento, clock };
}

describe('chat session store', () => {
  it('survives a reload: sessions, turns and the open session come back', async () => {
    const first = store();
    first.store.append(first.store.current.id, { role: 'user', content: 'How do I sort?', modelContent: 'context + How do I sort?' });
    first.store.append(first.store.current.id, { role: 'assistant', content: 'Use sort().', model: 'm', stats: { completionTokens: 3 } });
    await first.store.flush();

    const reloaded = store(first.memento).store;
    assert.equal(reloaded.current.id, first.store.current.id);
    assert.deepEqual(reloaded.current.turns, first.store.current.turns);
    assert.deepEqual(reloaded.summaries(), [{ id: 's1', title: 'How do I sort?', updatedAt: 1_000 }]);
  });

  it('titles a session by its first question, or the label of a command', () => {
    const { store: sessions } = store();
    sessions.append(sessions.current.id, { role: 'user', content: 'long prompt text', label: 'Explain selection' });
    assert.equal(sessions.current.title, 'Explain selection');
    const next = sessions.startNew();
    sessions.append(next.id, { role: 'user', content: `${'a'.repeat(100)}\nsecond line` });
    assert.equal(sessions.current.title.length, 60);
    assert.ok(sessions.current.title.endsWith('…'));
  });

  it('does not keep empty sessions in the history, and New Chat on an empty one reuses it', () => {
    const { store: sessions } = store();
    const empty = sessions.current;
    assert.equal(sessions.startNew().id, empty.id);
    assert.deepEqual(sessions.summaries(), []);
  });

  it('lists the most recently used first', () => {
    const { store: sessions, clock } = store();
    const a = sessions.current.id;
    sessions.append(a, { role: 'user', content: 'a' });
    clock.now = 2_000;
    const b = sessions.startNew().id;
    sessions.append(b, { role: 'user', content: 'b' });
    clock.now = 3_000;
    sessions.append(a, { role: 'assistant', content: 'reply' });
    assert.deepEqual(sessions.summaries().map((s) => s.title), ['a', 'b']);
  });

  it('deleting the open session opens a fresh empty one', () => {
    const { store: sessions } = store();
    const id = sessions.current.id;
    sessions.append(id, { role: 'user', content: 'bye' });
    sessions.delete(id);
    assert.notEqual(sessions.current.id, id);
    assert.deepEqual(sessions.current.turns, []);
    assert.equal(sessions.get(id), undefined);
  });

  it('bounds the number of sessions, dropping the least recently used, never the open one', () => {
    const { store: sessions, clock } = store();
    const firstId = sessions.current.id;
    sessions.append(firstId, { role: 'user', content: 'oldest' });
    for (let i = 0; i < MAX_SESSIONS + 5; i += 1) {
      clock.now += 1;
      const session = sessions.startNew();
      sessions.append(session.id, { role: 'user', content: `q${i}` });
    }
    assert.ok(sessions.summaries().length <= MAX_SESSIONS);
    assert.equal(sessions.get(firstId), undefined, 'the oldest went first');
    assert.equal(sessions.summaries()[0]?.title, `q${MAX_SESSIONS + 4}`);
  });

  it('bounds the turns of a session and the total stored size', async () => {
    const { store: sessions, memento, clock } = store();
    const id = sessions.current.id;
    for (let i = 0; i < MAX_TURNS_PER_SESSION + 10; i += 1) sessions.append(id, { role: 'user', content: `t${i}` });
    assert.equal(sessions.current.turns.length, MAX_TURNS_PER_SESSION);
    assert.equal(sessions.current.turns[0]?.content, 't10');

    const huge = 'x'.repeat(Math.ceil(MAX_STORED_CHARS / 3));
    for (let i = 0; i < 4; i += 1) {
      clock.now += 1;
      const session = sessions.startNew();
      sessions.append(session.id, { role: 'user', content: huge });
    }
    await sessions.flush();
    assert.ok(JSON.stringify(memento.get(KEY)).length <= MAX_STORED_CHARS + 100_000);
  });

  it('drops corrupt stored sessions instead of trusting them', () => {
    const memento = new FakeMemento();
    void memento.update(KEY, {
      currentId: 'good',
      sessions: [
        { id: 'good', title: 'ok', createdAt: 1, updatedAt: 2, turns: [{ role: 'user', content: 'hi' }] },
        { id: 'bad', title: 'no turns array', createdAt: 1, updatedAt: 2, turns: 'nope' },
        { id: 'evil', title: 'bad role', createdAt: 1, updatedAt: 2, turns: [{ role: 'system', content: 'x' }] },
        'not even an object',
      ],
    });
    const { store: sessions } = store(memento);
    assert.deepEqual(sessions.summaries().map((s) => s.id), ['good']);
    assert.equal(sessions.current.id, 'good');

    void memento.update(KEY, 42);
    assert.deepEqual(store(memento).store.summaries(), []);
  });
});
