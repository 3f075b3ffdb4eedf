/**
 * The visible conversation: the turns in `#messages`, their views, and which of them a streamed message
 * belongs to. Keeps the list scrolled to the newest text while the reader is at the bottom, and leaves it
 * alone when they scrolled up to read.
 */
import { FrameScheduler } from './frameScheduler';
import type { TurnState } from './turn';
import { TurnView } from './turnView';

const STICK_THRESHOLD_PX = 48;

export class Transcript {
  private views: TurnView[] = [];
  private readonly scheduler = new FrameScheduler<TurnView>((view) => this.keepingScroll(() => view.renderBody()));

  constructor(private readonly list: HTMLElement) {}

  get turns(): TurnState[] {
    return this.views.map((view) => view.turn);
  }

  reset(turns: TurnState[]): void {
    for (const view of this.views) this.scheduler.forget(view);
    this.views = turns.map((turn) => new TurnView(turn));
    this.list.replaceChildren(...this.views.map((view) => view.element));
    this.list.scrollTop = this.list.scrollHeight;
  }

  append(turn: TurnState): TurnView {
    const view = new TurnView(turn);
    this.views.push(view);
    this.keepingScroll(() => this.list.append(view.element), true);
    return view;
  }

  assistant(requestId: string): TurnView | undefined {
    return this.views.find((view) => view.turn.role === 'assistant' && view.turn.requestId === requestId);
  }

  /** Appends streamed text; the body re-renders on the next frame, not per token. */
  appendText(view: TurnView, text: string): void {
    view.turn.content += text;
    this.scheduler.schedule(view);
  }

  /** The answer has ended: render its complete text now, and its final status (error, stats). */
  complete(view: TurnView): void {
    this.scheduler.forget(view);
    this.keepingScroll(() => {
      view.finishBody();
      view.renderStatus();
    });
  }

  refreshStatus(view: TurnView): void {
    this.keepingScroll(() => view.renderStatus());
  }

  /** Removes both turns of the exchange `requestId` (the question and its answer). */
  removeExchange(requestId: string): void {
    for (const view of this.views.filter((v) => v.turn.requestId === requestId)) {
      this.scheduler.forget(view);
      view.element.remove();
    }
    this.views = this.views.filter((view) => view.turn.requestId !== requestId);
  }

  private keepingScroll(change: () => void, force = false): void {
    const { scrollHeight, scrollTop, clientHeight } = this.list;
    const atBottom = force || scrollHeight - scrollTop - clientHeight <= STICK_THRESHOLD_PX;
    change();
    if (atBottom) this.list.scrollTop = this.list.scrollHeight;
  }
}
