/**
 * The report's sections for what follows the maneuver: the post-maneuver watch and the
 * rescue-therapy advisor (advisory only), from their journal lines.
 */
import type { WatchSummary } from '../../machines/index.js';
import type { ParsedJournal } from '../journal/read.js';
import type { RunAdvice } from '../runner/advice.js';
import { formatAdvice } from '../cli/advise.js';
import { formatWatch } from '../cli/watch.js';
import { escapeXml } from './svgChart.js';

export function afterManeuverSections(j: ParsedJournal): string {
  const out: string[] = [];
  const started = j.lines.find((l) => l.event === 'watch' && l['stage'] === 'started');
  const ended = j.lines.find((l) => l.event === 'watch' && l['stage'] === 'ended');
  if (started) {
    const w = ended?.['summary'] as WatchSummary | undefined;
    const verdict = w ? (w.derecruitmentSuspected ? '<p class="warn" id="watch-verdict">Derecruitment suspected: consider re-recruitment (advisory).</p>' : '<p class="ok" id="watch-verdict">No sign of derecruitment during the watch.</p>') : '<p class="warn" id="watch-verdict">The watch did not end in this journal.</p>';
    out.push(`<h2 id="watch">Post-maneuver watch</h2>\n${verdict}\n${w ? `<pre class="watch">${escapeXml(formatWatch(w))}</pre>` : ''}`);
  }
  const advice = j.lines.find((l) => l.event === 'advice')?.['advice'] as RunAdvice | undefined;
  if (advice) out.push(`<h2 id="advisor">Rescue-therapy advisor (advisory only)</h2>\n<p class="warn">${escapeXml(advice.notice)}</p>\n<pre class="advice">${escapeXml(formatAdvice(advice))}</pre>`);
  return out.join('\n');
}
