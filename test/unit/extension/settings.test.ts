import './.setup';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isLanguageEnabled, readSettings, SETTINGS, SETTINGS_SECTION } from '../../../extension/common/settings';
import { SettingsService } from '../../../extension/services/settingsService';
import { fake } from '../../fakes/vscode';
import { configurationSections } from '../../fakes/vscode/configuration';
import { REPOSITORY_ROOT } from '../../fakes/vscode/context';

const manifest: unknown = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'package.json'), 'utf8'));
const contributed = new Map<string, Record<string, unknown>>(
  configurationSections(manifest).flatMap((section) =>
    Object.entries(section).flatMap(([key, schema]): Array<[string, Record<string, unknown>]> =>
      typeof schema === 'object' && schema !== null ? [[key, { ...schema }]] : [],
    ),
  ),
);

function configurationEntries(): unknown[] {
  const contributes: unknown = typeof manifest === 'object' && manifest !== null && 'contributes' in manifest ? manifest.contributes : undefined;
  const configuration: unknown = typeof contributes === 'object' && contributes !== null && 'configuration' in contributes ? contributes.configuration : undefined;
  return Array.isArray(configuration) ? configuration : [];
}

describe('settings reader and the manifest', () => {
  it('contributes exactly the keys the reader knows, all under aide.*', () => {
    const expected = Object.keys(SETTINGS).map((key) => `${SETTINGS_SECTION}.${key}`).sort();
    assert.deepEqual([...contributed.keys()].sort(), expected);
  });

  it('matches every key in type, default, bounds and enum', () => {
    for (const [key, spec] of Object.entries(SETTINGS)) {
      const schema = contributed.get(`aide.${key}`);
      assert.ok(schema, key);
      assert.equal(schema.type, spec.type, `${key} type`);
      assert.deepEqual(schema.default, spec.default, `${key} default`);
      if ('minimum' in spec) {
        assert.equal(schema.minimum, spec.minimum, `${key} minimum`);
        assert.equal(schema.maximum, spec.maximum, `${key} maximum`);
      } else {
        assert.equal(schema.minimum, undefined, `${key} has no minimum`);
      }
      if ('enum' in spec) assert.deepEqual(schema.enum, spec.enum, `${key} enum`);
      assert.equal(typeof schema.markdownDescription, 'string', `${key} has a markdownDescription`);
    }
  });

  it('groups the configuration in titled sections', () => {
    const sections = configurationEntries();
    assert.ok(sections.length >= 3);
    for (const section of sections) {
      const title = typeof section === 'object' && section !== null && 'title' in section ? section.title : undefined;
      assert.equal(typeof title, 'string');
    }
  });

  it('keeps the fixed defaults of the shared settings', () => {
    const defaults = readSettings({ get: () => undefined });
    assert.deepEqual(defaults, {
      relayUrl: 'http://127.0.0.1:11435',
      chatModel: '',
      contextLength: 8192,
      completion: {
        enabled: true,
        model: '',
        debounceMs: 200,
        maxTokens: 128,
        maxLines: 8,
        prefixTokens: 1024,
        suffixTokens: 256,
        template: 'auto',
        languages: { '*': true, plaintext: false, markdown: false, scminput: false },
      },
    });
  });

  it('reads what VS Code serves from the manifest defaults', () => {
    fake.reset();
    const service = new SettingsService();
    try {
      assert.deepEqual(service.current, readSettings({ get: () => undefined }));
    } finally {
      service.dispose();
    }
  });

  it('falls back to defaults for wrong types and clamps numbers into range', () => {
    const values: Record<string, unknown> = {
      'relay.url': 'ftp://example.com',
      'chat.model': 42,
      'completion.enabled': 'yes',
      'completion.debounceMs': 99999,
      'completion.maxTokens': -5,
      'completion.maxLines': 3.6,
      'completion.prefixTokens': Number.NaN,
      'completion.template': 'gpt',
      'completion.languages': { python: false, go: 'no' },
      contextLength: '4096',
    };
    const settings = readSettings({ get: (key) => values[key] });
    assert.equal(settings.relayUrl, 'http://127.0.0.1:11435');
    assert.equal(settings.chatModel, '');
    assert.equal(settings.completion.enabled, true);
    assert.equal(settings.completion.debounceMs, 2000);
    assert.equal(settings.completion.maxTokens, 1);
    assert.equal(settings.completion.maxLines, 4);
    assert.equal(settings.completion.prefixTokens, 1024);
    assert.equal(settings.completion.template, 'auto');
    assert.deepEqual(settings.completion.languages, { python: false });
    assert.equal(settings.contextLength, 8192);
  });

  it('trims the relay URL and its trailing slashes', () => {
    assert.equal(readSettings({ get: (key) => (key === 'relay.url' ? ' https://relay.example.com/ ' : undefined) }).relayUrl, 'https://relay.example.com');
  });

  it('refuses a relay URL with user:password@, in the reader and in the manifest pattern', () => {
    const read = (value: string): string => readSettings({ get: (key) => (key === 'relay.url' ? value : undefined) }).relayUrl;
    assert.equal(read('https://alice:s3cret@relay.example.com'), 'http://127.0.0.1:11435');
    assert.equal(read('https://alice@relay.example.com'), 'http://127.0.0.1:11435');
    assert.equal(read('https://relay.example.com/base'), 'https://relay.example.com/base');
    const pattern = contributed.get('aide.relay.url')?.pattern;
    assert.equal(typeof pattern, 'string');
    const valid = new RegExp(String(pattern));
    assert.equal(valid.test('https://alice:s3cret@relay.example.com'), false);
    assert.equal(valid.test('http://alice@127.0.0.1:11435/'), false);
    assert.equal(valid.test('ftp://relay.example.com'), false);
    assert.equal(valid.test('http://127.0.0.1:11435'), true);
    assert.equal(valid.test('https://relay.example.com/base/'), true);
  });

  it('decides per language with "*" as the fallback', () => {
    const languages = { '*': true, markdown: false };
    assert.equal(isLanguageEnabled(languages, 'typescript'), true);
    assert.equal(isLanguageEnabled(languages, 'markdown'), false);
    assert.equal(isLanguageEnabled({ '*': false, python: true }, 'python'), true);
    assert.equal(isLanguageEnabled({ '*': false, python: true }, 'go'), false);
    assert.equal(isLanguageEnabled({}, 'go'), true);
  });

  it('fires one change event with the new values when an aide setting changes, none for others', () => {
    fake.reset();
    const service = new SettingsService();
    const seen: string[] = [];
    service.onDidChange((next) => seen.push(next.chatModel));
    try {
      fake.configuration.set('editor.fontSize', 14);
      fake.configuration.set('aide.chat.model', 'llama3.2:1b');
      assert.deepEqual(seen, ['llama3.2:1b']);
      assert.equal(service.current.chatModel, 'llama3.2:1b');
    } finally {
      service.dispose();
    }
  });

  it('writes where the setting takes effect: the workspace when it overrides, else the user settings', async () => {
    fake.reset();
    const service = new SettingsService();
    try {
      await service.update('chat.model', 'a');
      assert.equal(fake.configuration.section('aide').inspect('chat.model')?.globalValue, 'a');
      fake.configuration.set('aide.completion.enabled', true, 'workspace');
      await service.update('completion.enabled', false);
      assert.equal(fake.configuration.section('aide').inspect('completion.enabled')?.workspaceValue, false);
      assert.equal(service.current.completion.enabled, false);
    } finally {
      service.dispose();
    }
  });
});
