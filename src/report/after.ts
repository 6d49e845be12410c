/**
 * The report's sections for what follows the maneuver: the post-maneuver watch and the
 * rescue-therapy advisor (advisory only), from their journal lines.
 */
import type { WatchSummary } from '../../machines/index.js';
import type { ParsedJournal } from '../journal/read.js';
import { adviceAfterRun, type OperatorOxygenation } from '../runner/advice.js';
import type { SessionSummary } from '../runner/telemetry.js';
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
  // The advice follows from the outcome (and the --pao2/--mawp the run was given), as after the run.
  const summary = (j.outcome?.summary ?? null) as SessionSummary | null;
  const advice = summary ? adviceAfterRun(summary, operatorOxygenationOf(j.header['argv'])) : null;
  if (advice) out.push(`<h2 id="advisor">Rescue-therapy advisor (advisory only)</h2>\n<p class="warn">${escapeXml(advice.notice)}</p>\n<pre class="advice">${escapeXml(formatAdvice(advice))}</pre>`);
  return out.join('\n');
}

/** `--pao2` / `--mawp` as recorded in the journal header's argv (a value out of range is left out). */
function operatorOxygenationOf(argv: unknown): OperatorOxygenation {
  const out: OperatorOxygenation = {};
  if (!Array.isArray(argv)) return out;
  const value = (flag: string, lo: number, hi: number): number | undefined => {
    const i = argv.findIndex((a) => a === flag || (typeof a === 'string' && a.startsWith(`${flag}=`)));
    if (i < 0) return undefined;
    const raw = String(argv[i]).includes('=') ? String(argv[i]).split('=')[1] : argv[i + 1];
    const n = Number(raw);
    return Number.isFinite(n) && n >= lo && n <= hi ? n : undefined;
  };
  const pao2 = value('--pao2', 20, 700);
  const mawp = value('--mawp', 1, 60);
  if (pao2 !== undefined) out.pao2MmHg = pao2;
  if (mawp !== undefined) out.mawpCmH2O = mawp;
  return out;
}
