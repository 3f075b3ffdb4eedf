/** Positions, ranges, URIs, documents and editors: the text model, faithful to VS Code's semantics. */
import type * as vscode from 'vscode';
import { EventEmitter } from './events';

export class Position implements vscode.Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {
    if (line < 0 || character < 0) throw new Error('Illegal argument: line and character must be non-negative');
  }

  isBefore(other: vscode.Position): boolean {
    return this.compareTo(other) < 0;
  }

  isBeforeOrEqual(other: vscode.Position): boolean {
    return this.compareTo(other) <= 0;
  }

  isAfter(other: vscode.Position): boolean {
    return this.compareTo(other) > 0;
  }

  isAfterOrEqual(other: vscode.Position): boolean {
    return this.compareTo(other) >= 0;
  }

  isEqual(other: vscode.Position): boolean {
    return this.compareTo(other) === 0;
  }

  compareTo(other: vscode.Position): number {
    return this.line === other.line ? this.character - other.character : this.line - other.line;
  }

  translate(lineDelta?: number, characterDelta?: number): Position;
  translate(change: { lineDelta?: number; characterDelta?: number }): Position;
  translate(first?: number | { lineDelta?: number; characterDelta?: number }, characterDelta = 0): Position {
    if (typeof first === 'object') return new Position(this.line + (first.lineDelta ?? 0), this.character + (first.characterDelta ?? 0));
    return new Position(this.line + (first ?? 0), this.character + characterDelta);
  }

  with(line?: number, character?: number): Position;
  with(change: { line?: number; character?: number }): Position;
  with(first?: number | { line?: number; character?: number }, character?: number): Position {
    if (typeof first === 'object') return new Position(first.line ?? this.line, first.character ?? this.character);
    return new Position(first ?? this.line, character ?? this.character);
  }
}

export class Range implements vscode.Range {
  readonly start: Position;
  readonly end: Position;

  constructor(start: vscode.Position, end: vscode.Position);
  constructor(startLine: number, startCharacter: number, endLine: number, endCharacter: number);
  constructor(a: vscode.Position | number, b: vscode.Position | number, c?: number, d?: number) {
    const first = typeof a === 'number' ? new Position(a, typeof b === 'number' ? b : 0) : new Position(a.line, a.character);
    const second = typeof a === 'number' ? new Position(c ?? 0, d ?? 0) : typeof b === 'number' ? first : new Position(b.line, b.character);
    // Like VS Code, a range is normalised so that start is before or equal to end.
    [this.start, this.end] = first.isAfter(second) ? [second, first] : [first, second];
  }

  get isEmpty(): boolean {
    return this.start.isEqual(this.end);
  }

  get isSingleLine(): boolean {
    return this.start.line === this.end.line;
  }

  contains(value: vscode.Position | vscode.Range): boolean {
    if ('start' in value) return this.contains(value.start) && this.contains(value.end);
    return this.start.isBeforeOrEqual(value) && this.end.isAfterOrEqual(value);
  }

  isEqual(other: vscode.Range): boolean {
    return this.start.isEqual(other.start) && this.end.isEqual(other.end);
  }

  intersection(other: vscode.Range): Range | undefined {
    const start = this.start.isAfter(other.start) ? this.start : other.start;
    const end = this.end.isBefore(other.end) ? this.end : other.end;
    return start.isAfter(end) ? undefined : new Range(start, end);
  }

  union(other: vscode.Range): Range {
    const start = this.start.isBefore(other.start) ? this.start : other.start;
    const end = this.end.isAfter(other.end) ? this.end : other.end;
    return new Range(start, end);
  }

  with(start?: vscode.Position, end?: vscode.Position): Range;
  with(change: { start?: vscode.Position; end?: vscode.Position }): Range;
  with(first?: vscode.Position | { start?: vscode.Position; end?: vscode.Position }, end?: vscode.Position): Range {
    if (first && !(first instanceof Position) && !('line' in first)) return new Range(first.start ?? this.start, first.end ?? this.end);
    return new Range(first && 'line' in first ? first : this.start, end ?? this.end);
  }
}

export class Selection extends Range implements vscode.Selection {
  readonly anchor: Position;
  readonly active: Position;

  constructor(anchor: vscode.Position, active: vscode.Position);
  constructor(anchorLine: number, anchorCharacter: number, activeLine: number, activeCharacter: number);
  constructor(a: vscode.Position | number, b: vscode.Position | number, c?: number, d?: number) {
    const anchor = typeof a === 'number' ? new Position(a, typeof b === 'number' ? b : 0) : new Position(a.line, a.character);
    const active = typeof a === 'number' ? new Position(c ?? 0, d ?? 0) : typeof b === 'number' ? anchor : new Position(b.line, b.character);
    super(anchor, active);
    this.anchor = anchor;
    this.active = active;
  }

  get isReversed(): boolean {
    return this.anchor.isAfter(this.active);
  }
}

export class Uri implements vscode.Uri {
  static parse(value: string): Uri {
    const match = /^([a-zA-Z][\w+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(value);
    if (!match) throw new Error(`Invalid URI: ${value}`);
    return new Uri(match[1] ?? '', match[2] ?? '', decodeURIComponent(match[3] ?? ''), match[4] ?? '', match[5] ?? '');
  }

  static file(path: string): Uri {
    return new Uri('file', '', path.startsWith('/') ? path : `/${path}`, '', '');
  }

  static joinPath(base: vscode.Uri, ...segments: string[]): Uri {
    const joined = [base.path.replace(/\/+$/, ''), ...segments].join('/').replace(/\/{2,}/g, '/');
    return new Uri(base.scheme, base.authority, joined, base.query, base.fragment);
  }

  static from(components: { readonly scheme: string; readonly authority?: string; readonly path?: string; readonly query?: string; readonly fragment?: string }): Uri {
    return new Uri(components.scheme, components.authority ?? '', components.path ?? '', components.query ?? '', components.fragment ?? '');
  }

  private constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
    readonly query: string,
    readonly fragment: string,
  ) {}

  get fsPath(): string {
    return this.path;
  }

  with(change: { scheme?: string; authority?: string; path?: string; query?: string; fragment?: string }): Uri {
    return new Uri(change.scheme ?? this.scheme, change.authority ?? this.authority, change.path ?? this.path, change.query ?? this.query, change.fragment ?? this.fragment);
  }

  toString(): string {
    const authority = this.authority || this.scheme === 'file' ? `//${this.authority}` : '';
    const query = this.query ? `?${this.query}` : '';
    const fragment = this.fragment ? `#${this.fragment}` : '';
    return `${this.scheme}:${authority}${encodeURI(this.path)}${query}${fragment}`;
  }

  toJSON(): { scheme: string; authority: string; path: string; query: string; fragment: string } {
    return { scheme: this.scheme, authority: this.authority, path: this.path, query: this.query, fragment: this.fragment };
  }
}

export enum EndOfLine {
  LF = 1,
  CRLF = 2,
}

/** A text document whose content tests can change; every change bumps `version` like an edit would. */
export class FakeTextDocument implements vscode.TextDocument {
  readonly fileName: string;
  readonly isUntitled: boolean;
  readonly encoding = 'utf8';
  isDirty = false;
  isClosed = false;
  version = 1;
  private text: string;

  constructor(
    readonly uri: Uri,
    text: string,
    readonly languageId: string,
  ) {
    this.text = text;
    this.fileName = uri.fsPath;
    this.isUntitled = uri.scheme === 'untitled';
  }

  get eol(): EndOfLine {
    return this.text.includes('\r\n') ? EndOfLine.CRLF : EndOfLine.LF;
  }

  get lineCount(): number {
    return this.lines().length;
  }

  save(): Promise<boolean> {
    this.isDirty = false;
    return Promise.resolve(true);
  }

  lineAt(lineOrPosition: number | vscode.Position): vscode.TextLine {
    const line = typeof lineOrPosition === 'number' ? lineOrPosition : lineOrPosition.line;
    const lines = this.lines();
    const text = lines[line];
    if (text === undefined) throw new Error(`Illegal value for line: ${line}`);
    const range = new Range(line, 0, line, text.length);
    const lineBreak = line < lines.length - 1 ? new Range(line, 0, line + 1, 0) : range;
    return {
      lineNumber: line,
      text,
      range,
      rangeIncludingLineBreak: lineBreak,
      firstNonWhitespaceCharacterIndex: /^\s*/.exec(text)?.[0].length ?? 0,
      isEmptyOrWhitespace: text.trim() === '',
    };
  }

  offsetAt(position: vscode.Position): number {
    const lines = this.lines();
    const valid = this.validatePosition(position);
    const eolLength = this.eol === EndOfLine.CRLF ? 2 : 1;
    let offset = 0;
    for (let line = 0; line < valid.line; line += 1) offset += (lines[line]?.length ?? 0) + eolLength;
    return offset + valid.character;
  }

  positionAt(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    const before = this.text.slice(0, clamped).split(/\r?\n/);
    return new Position(before.length - 1, before[before.length - 1]?.length ?? 0);
  }

  getText(range?: vscode.Range): string {
    if (!range) return this.text;
    return this.text.slice(this.offsetAt(range.start), this.offsetAt(range.end));
  }

  getWordRangeAtPosition(position: vscode.Position, regex = /\w+/g): Range | undefined {
    const text = this.lines()[position.line] ?? '';
    for (const match of text.matchAll(new RegExp(regex.source, 'g'))) {
      const start = match.index;
      const end = start + match[0].length;
      if (start <= position.character && position.character <= end) return new Range(position.line, start, position.line, end);
    }
    return undefined;
  }

  validateRange(range: vscode.Range): Range {
    return new Range(this.validatePosition(range.start), this.validatePosition(range.end));
  }

  validatePosition(position: vscode.Position): Position {
    const lines = this.lines();
    const line = Math.min(Math.max(position.line, 0), lines.length - 1);
    return new Position(line, Math.min(Math.max(position.character, 0), lines[line]?.length ?? 0));
  }

  /** Replaces the text between two offsets, as an edit does. */
  replace(start: number, end: number, text: string): void {
    this.text = this.text.slice(0, start) + text + this.text.slice(end);
    this.version += 1;
    this.isDirty = true;
  }

  setText(text: string): void {
    this.replace(0, this.text.length, text);
  }

  private lines(): string[] {
    return this.text.split(/\r?\n/);
  }
}

export class FakeTextEditor implements vscode.TextEditor {
  options: vscode.TextEditorOptions = { tabSize: 2, insertSpaces: true };
  readonly viewColumn = 1;
  private currentSelections: readonly Selection[];
  readonly selectionChanges = new EventEmitter<void>();

  constructor(
    readonly document: FakeTextDocument,
    selection: Selection = new Selection(0, 0, 0, 0),
  ) {
    this.currentSelections = [selection];
  }

  get selection(): Selection {
    const first = this.currentSelections[0];
    if (!first) throw new Error('an editor always has a selection');
    return first;
  }

  set selection(selection: Selection) {
    this.selections = [selection];
  }

  get selections(): readonly Selection[] {
    return this.currentSelections;
  }

  set selections(selections: readonly Selection[]) {
    this.currentSelections = selections;
    this.selectionChanges.fire();
  }

  get visibleRanges(): readonly Range[] {
    return [new Range(0, 0, this.document.lineCount, 0)];
  }

  edit(callback: (builder: vscode.TextEditorEdit) => void): Promise<boolean> {
    const edits: Array<{ range: vscode.Range; text: string }> = [];
    callback({
      replace: (location, text) => edits.push({ range: 'start' in location ? location : new Range(location, location), text }),
      insert: (position, text) => edits.push({ range: new Range(position, position), text }),
      delete: (location) => edits.push({ range: location, text: '' }),
      setEndOfLine: () => undefined,
    });
    applyEdits(this.document, edits);
    return Promise.resolve(true);
  }

  insertSnippet(): Promise<boolean> {
    return Promise.resolve(false);
  }

  setDecorations(): void {}

  revealRange(): void {}

  show(): void {}

  hide(): void {}
}

/** Applies non-overlapping edits to a document, last first so earlier offsets stay valid. */
export function applyEdits(document: FakeTextDocument, edits: ReadonlyArray<{ range: vscode.Range; text: string }>): void {
  const byOffset = edits
    .map((edit) => ({ start: document.offsetAt(edit.range.start), end: document.offsetAt(edit.range.end), text: edit.text }))
    .sort((a, b) => b.start - a.start);
  for (const edit of byOffset) document.replace(edit.start, edit.end, edit.text);
}
