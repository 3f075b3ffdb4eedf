/** The one-line figures under an answer: where the tokens and the time went. */
import type { AnswerStats } from '../../extension/common/protocol';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });

function duration(ms: number): string {
  return ms < 1000 ? `${integer.format(ms)} ms` : `${oneDecimal.format(ms / 1000)} s`;
}

export function formatStats(stats: AnswerStats, stopped: boolean): string {
  const parts: string[] = [];
  if (stats.promptTokens !== undefined) parts.push(`${integer.format(stats.promptTokens)} tokens in`);
  if (stats.completionTokens !== undefined) parts.push(`${integer.format(stats.completionTokens)} out`);
  if (stats.ttftMs !== undefined) parts.push(`TTFT ${integer.format(stats.ttftMs)} ms`);
  if (stats.tokensPerSecond !== undefined) parts.push(`${oneDecimal.format(stats.tokensPerSecond)} tokens/s`);
  if (stats.totalMs !== undefined) parts.push(`total ${duration(stats.totalMs)}`);
  if (stats.loadMs !== undefined) parts.push(`model load ${duration(stats.loadMs)}`);
  if (stopped) parts.push('stopped');
  if (stats.historyLeftOut !== undefined) {
    parts.push(`${integer.format(stats.historyLeftOut)} earlier exchange${stats.historyLeftOut === 1 ? '' : 's'} left out to fit the context`);
  }
  if (stats.cutOff) parts.push('(answer cut off at the token limit)');
  return parts.join(' · ');
}

