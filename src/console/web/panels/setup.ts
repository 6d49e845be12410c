/**
 * Protocol selection: the maneuver and its key parameters, pre-filled with the protocol
 * defaults. Every change asks the server for a preview (the plan, or the problems), so a
 * bad value is marked next to its field before Start is pressed; Start sends the same values.
 * Before Start, the operator checklist (the server's items): Start stays disabled until every
 * box is ticked, and the confirmation (items, optional name) goes with the start request.
 */
import type { FieldProblem } from '../../../../common/validation.js';
import type { Protocol, RunnableKind } from '../../../../machines/config/protocols.js';
import { byId, fill, h, setText } from '../dom.js';
import { clock, duration, MANEUVER_NAMES } from '../format.js';
import type { Store } from '../store.js';

interface FieldDef {
  path: string;
  label: string;
  unit?: string;
  kind?: 'number' | 'list' | 'bool' | 'select';
  options?: string[];
  help?: string;
}

const FIELDS: Record<RunnableKind, FieldDef[]> = {
  'recruitability-screen': [
    { path: 'highPeepCmH2O', label: 'High PEEP (start and return)', unit: 'cmH2O' },
    { path: 'lowPeepCmH2O', label: 'Low PEEP (the one release breath)', unit: 'cmH2O' },
    { path: 'highDwellS', label: 'Time at the high PEEP before the release', unit: 's' },
    { path: 'thresholdRatio', label: 'High recruitability at R/I of at least', help: 'Chen 2020: 0.5, the cohort median' },
    { path: 'airwayOpeningPressureCmH2O', label: 'Airway opening pressure (blank: no complete airway closure)', unit: 'cmH2O' },
    { path: 'policy', label: 'If recruitability is low, a staircase that follows is', kind: 'select', options: ['warn', 'block', 'cap'], help: 'warn: proceeds, saying so; block: not started; cap: pressures capped' },
    { path: 'capPeakCmH2O', label: 'Cap: highest peak of the staircase', unit: 'cmH2O' },
  ],
  staircase: [
    { path: 'incrementalPeepsCmH2O', label: 'Recruitment PEEP steps', unit: 'cmH2O', kind: 'list', help: 'ascending, comma separated' },
    { path: 'incrementalDwellS', label: 'Time per recruitment step', unit: 's' },
    { path: 'drivingPressureCmH2O', label: 'Driving pressure (peak = PEEP + this)', unit: 'cmH2O' },
    { path: 'decremental.startPeepCmH2O', label: 'Titration: first PEEP', unit: 'cmH2O' },
    { path: 'decremental.stepCmH2O', label: 'Titration: PEEP step down', unit: 'cmH2O' },
    { path: 'decremental.floorPeepCmH2O', label: 'Titration: floor (PHARLAP: 15)', unit: 'cmH2O' },
    {
      path: 'decremental.extendToPeepCmH2O',
      label: 'Titration: while no derecruitment is seen, on below the floor down to (blank: 10)',
      unit: 'cmH2O',
      help: 'never below the baseline PEEP; the floor itself: PHARLAP exactly',
    },
    { path: 'decremental.dwellS', label: 'Time per titration step', unit: 's' },
    { path: 'derecruitment.method', label: 'Derecruitment detected by', kind: 'select', options: ['spo2', 'compliance'] },
    { path: 'reRecruit.peepCmH2O', label: 'Re-recruitment PEEP', unit: 'cmH2O' },
    { path: 'finalMarginCmH2O', label: 'Final PEEP above derecruitment', unit: 'cmH2O' },
  ],
  'sustained-inflation': [
    { path: 'peepCmH2O', label: 'CPAP level', unit: 'cmH2O' },
    { path: 'holdS', label: 'Hold for', unit: 's' },
  ],
  'high-pressure-pcv': [
    { path: 'peepCmH2O', label: 'PEEP', unit: 'cmH2O' },
    { path: 'peakCmH2O', label: 'Peak pressure', unit: 'cmH2O' },
    { path: 'holdS', label: 'Hold for', unit: 's' },
  ],
};

/** The recruitability screen before a staircase (`rmseq run staircase --screen`): its policy and timing. */
const SCREEN_FIRST: FieldDef[] = [
  { path: 'screen.policy', label: 'If recruitability is low, the staircase is', kind: 'select', options: ['warn', 'block', 'cap'], help: 'warn: proceeds, saying so; block: not started; cap: pressures capped' },
  { path: 'screen.capPeakCmH2O', label: 'Cap: highest peak of the staircase', unit: 'cmH2O' },
  { path: 'screen.highDwellS', label: 'Screen: time at the high PEEP', unit: 's' },
  { path: 'screen.thresholdRatio', label: 'Screen: high recruitability at R/I of at least' },
];

/** The readings of the one-breath test done by hand (ReleaseReadingsSchema, as `rmseq screen --readings`). */
const READINGS: (FieldDef & { optional?: boolean })[] = [
  { path: 'highPeepCmH2O', label: 'High PEEP', unit: 'cmH2O' },
  { path: 'lowPeepCmH2O', label: 'Low PEEP of the release breath', unit: 'cmH2O' },
  { path: 'tidalVolumeMl', label: 'Tidal volume set (Vt)', unit: 'mL' },
  { path: 'releaseExpiredVolumeMl', label: 'Expired volume of the release breath', unit: 'mL' },
  { path: 'lowPlateauCmH2O', label: 'Plateau of the first breath at the low PEEP', unit: 'cmH2O' },
  { path: 'airwayOpeningPressureCmH2O', label: 'Airway opening pressure (blank: none)', unit: 'cmH2O', optional: true },
];

const COMMON: FieldDef[] = [
  { path: 'peakLimitCmH2O', label: 'Peak pressure limit', unit: 'cmH2O' },
  { path: 'confirmEachStep', label: 'Confirm each step before it is applied', kind: 'bool' },
];

const SAFETY: FieldDef[] = [
  { path: 'safety.mapFloorMmHg', label: 'Abort if MAP below', unit: 'mmHg' },
  { path: 'safety.mapFallMaxPct', label: 'Abort if MAP falls more than', unit: '% of baseline' },
  { path: 'safety.sbpFloorMmHg', label: 'Abort if SBP below', unit: 'mmHg' },
  { path: 'safety.spo2FloorPct', label: 'Abort if SpO2 below', unit: '%' },
  { path: 'safety.spo2FallMaxPts', label: 'Abort if SpO2 falls more than', unit: 'points' },
  { path: 'safety.hrMinBpm', label: 'Abort if HR below', unit: '/min' },
  { path: 'safety.hrMaxBpm', label: 'Abort if HR above', unit: '/min' },
  { path: 'safety.peakToleranceCmH2O', label: 'Abort if measured peak exceeds the limit by', unit: 'cmH2O' },
];

function get(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

function set(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
  o[keys[keys.length - 1]!] = value;
}

/** "incrementalPeepsCmH2O[1]" -> "incrementalPeepsCmH2O". */
const fieldOf = (problem: FieldProblem): string => problem.field.replace(/\[\d+\]/g, '');

export class SetupPanel {
  private readonly el = byId('setup');
  private maneuver: RunnableKind = 'staircase';
  private screenFirstBox: HTMLInputElement | null = null;
  private readonly screenFirstNote = h('p', { id: 'screen-first-note', class: 'field-help' });
  private readonly screenFirstFields = h('div', { class: 'fields screen-first-fields' });
  private readingInputs = new Map<string, { input: HTMLInputElement; error: HTMLElement }>();
  private readonly checklistBox = h('div', {});
  private readonly actions = h('div', { class: 'form-actions' });
  private inputs = new Map<string, { def: FieldDef; input: HTMLInputElement | HTMLSelectElement; error: HTMLElement }>();
  private previewTimer: number | null = null;
  private readonly formErrors = h('div', { class: 'form-errors', role: 'alert' });
  private readonly planPreview = h('div', { class: 'plan-preview' });
  private readonly startButton = h('button', { type: 'submit', class: 'primary start', id: 'start' }, 'Start');
  private built = '';
  private checks: HTMLInputElement[] = [];
  private checkedBy: HTMLInputElement | null = null;

  constructor(
    private readonly store: Store,
    private readonly send: (m: Record<string, unknown>) => boolean,
    private readonly control: (m: Record<string, unknown>) => boolean,
  ) {}

  render(): void {
    const { store } = this;
    const visible = store.setupOpen && store.server !== null;
    this.el.hidden = !visible;
    if (!visible || !store.server) return;
    const byHand = this.byHand();
    if (this.built !== `${this.maneuver}:${byHand}`) this.build(store.server.defaults[this.maneuver]);
    store.setupManeuver = this.maneuver;
    this.showProblems(store.problems);
    this.showReadingProblems(store.readingsProblems);
    if (this.screenFirstBox) {
      this.screenFirstFields.hidden = !this.screenFirstBox.checked;
      const e = store.enteredScreen?.result;
      setText(
        this.screenFirstNote,
        !this.screenFirstBox.checked
          ? 'R/I (Chen 2020) before the staircase: its policy then decides whether and how the staircase runs.'
          : byHand
            ? `This ventilator cannot drop PEEP for one breath: the R/I entered by hand is used (no screen runs). ${e ? `Entered: R/I ${e.ratio ?? 'not assessable'} (${e.recruitability}).` : 'None entered yet: choose Recruitability screen and enter the readings first.'}`
            : 'The screen runs first (one breath at the low PEEP, verified return, baseline); its policy then decides whether and how the staircase runs.',
      );
    }
    const p = store.preview;
    if (p && !p.problems.length) {
      fill(
        this.planPreview,
        h('div', { class: 'preview-total' }, `${p.plan.length} steps, at most ${clock(p.plannedMs)}`),
        h('ol', {}, ...p.plan.map((s) => h('li', {}, `${s.label} · ${duration(s.dwellMs)}${s.conditional ? ' (if needed)' : ''}`))),
      );
    } else if (p) fill(this.planPreview, h('div', { class: 'preview-bad' }, '⚠ Fix the marked fields to see the plan.'));
    const checklistDone = !store.server.checklist.required || this.checks.every((c) => c.checked);
    const canStart = store.controls === true && store.link === 'open' && !store.problems.length && checklistDone && !(byHand && this.maneuver === 'recruitability-screen');
    this.startButton.title = checklistDone ? '' : 'Tick every item of the operator checklist first';
    this.startButton.toggleAttribute('disabled', !canStart);
    fill(this.startButton, `Start: ${MANEUVER_NAMES[this.maneuver] ?? this.maneuver}`);
  }

  /** Whether the recruitability screen is done by hand here (the ventilator cannot drop PEEP for one breath). */
  private byHand(): boolean {
    return this.store.server?.oneBreathDrop === false;
  }

  private build(defaults: Protocol): void {
    const byHand = this.byHand();
    this.built = `${this.maneuver}:${byHand}`;
    this.inputs.clear();
    this.readingInputs.clear();
    this.screenFirstBox = null;
    const chooser = h(
      'div',
      { class: 'maneuver-choice', role: 'radiogroup', 'aria-label': 'Maneuver' },
      ...[...(this.store.server?.maneuvers ?? []), ...(this.store.server?.screens ?? [])].map((m) => {
        const b = h('button', { type: 'button', class: `choice${m === this.maneuver ? ' chosen' : ''}`, role: 'radio', 'aria-checked': m === this.maneuver ? 'true' : 'false', 'data-maneuver': m }, MANEUVER_NAMES[m] ?? m);
        b.addEventListener('click', () => {
          this.maneuver = m;
          this.store.preview = null;
          this.store.problems = [];
          this.render();
          this.schedulePreview(0);
        });
        return b;
      }),
    );
    // The screen by hand changes nothing on the ventilator: its limits, plan and checklist do not apply.
    const screenByHand = byHand && this.maneuver === 'recruitability-screen';
    const fields = h('div', { class: 'fields' }, ...[...FIELDS[this.maneuver], ...(screenByHand ? [] : COMMON)].map((d) => this.field(d, defaults)));
    const safety = screenByHand ? null : h('details', { class: 'safety-fields' }, h('summary', {}, 'Safety limits (abort criteria)'), h('div', { class: 'fields' }, ...SAFETY.map((d) => this.field(d, defaults))));
    this.planPreview.hidden = screenByHand;
    fill(this.checklistBox, screenByHand ? null : this.checklist());
    fill(this.actions, screenByHand ? null : this.startButton);
    const form = h('form', { id: 'setup-form', novalidate: true }, chooser, fields, this.maneuver === 'staircase' ? this.screenFirst() : null, safety, this.formErrors, this.planPreview, this.checklistBox, this.actions);
    form.addEventListener('input', () => this.schedulePreview(250));
    form.addEventListener('change', () => this.schedulePreview(0));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.start();
    });
    fill(this.el, h('h2', {}, 'New maneuver'), form, screenByHand ? this.guided() : null);
    this.schedulePreview(0);
  }

  /** Staircase: the recruitability screen first, with its policy. */
  private screenFirst(): HTMLElement {
    this.screenFirstBox = h('input', { type: 'checkbox', id: 'f-screenFirst', name: 'screenFirst', 'aria-describedby': 'screen-first-note' });
    this.screenFirstBox.addEventListener('change', () => this.render());
    const screenDefaults = this.store.server?.defaults['recruitability-screen'];
    fill(this.screenFirstFields, ...SCREEN_FIRST.map((d) => this.field(d, (screenDefaults ?? {}) as Protocol)));
    return h(
      'fieldset',
      { class: 'screen-first' },
      h('legend', {}, 'Recruitability screen first'),
      h('div', { class: 'field field-bool' }, h('label', { for: 'f-screenFirst' }, this.screenFirstBox, ' Run the recruitability screen (R/I) before the staircase')),
      this.screenFirstNote,
      this.screenFirstFields,
    );
  }

  /**
   * The screen by hand: the steps to do at the ventilator, and a form for its readings. The
   * server validates them (field, value, allowed range) and computes R/I; nothing reaches
   * the ventilator from here.
   */
  private guided(): HTMLElement {
    const d = this.store.server?.defaults['recruitability-screen'];
    const high = d && 'highPeepCmH2O' in d ? d.highPeepCmH2O : 15;
    const low = d && 'lowPeepCmH2O' in d ? d.lowPeepCmH2O : 5;
    const defaults: Record<string, number> = { highPeepCmH2O: high, lowPeepCmH2O: low };
    const fields = READINGS.map((f) => {
      const id = `r-${f.path}`;
      const input = h('input', { id, name: `r.${f.path}`, type: 'text', inputmode: 'decimal', autocomplete: 'off', value: defaults[f.path] !== undefined ? String(defaults[f.path]) : '', 'aria-describedby': `${id}-error` });
      const error = h('div', { class: 'field-error', id: `${id}-error`, 'aria-live': 'polite' });
      this.readingInputs.set(f.path, { input, error });
      return h('div', { class: 'field field-number' }, h('label', { for: id }, f.label, h('span', { class: 'unit' }, ` (${f.unit})`)), input, error);
    });
    const form = h('form', { id: 'readings-form', novalidate: true, 'aria-labelledby': 'screen-guided-title' }, h('div', { class: 'fields' }, ...fields), h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary', id: 'readings-submit' }, 'Compute R/I')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.submitReadings();
    });
    return h(
      'section',
      { id: 'screen-guided', 'aria-labelledby': 'screen-guided-title' },
      h('h3', { id: 'screen-guided-title' }, 'The one-breath test by hand (guided procedure)'),
      h('p', {}, 'This ventilator cannot drop PEEP for a single breath on command. Do the test at the ventilator, then enter what it showed. Nothing is sent to the ventilator from here.'),
      h(
        'ol',
        { class: 'guided-steps' },
        h('li', {}, `Set volume control with the patient's tidal volume and PEEP ${high} cmH2O; wait until the airway pressures are steady (about ${d && 'highDwellS' in d ? Math.round(d.highDwellS / 60) : 2} min).`),
        h('li', {}, `Note the tidal volume (Vt) set. If an airway-closure test found complete closure, note the airway opening pressure.`),
        h('li', {}, `Lower PEEP to ${low} cmH2O for one breath only; read the expired volume of that breath (the release breath), and the plateau pressure (end-inspiratory hold) of the first breath at PEEP ${low}.`),
        h('li', {}, `Go back to PEEP ${high} cmH2O at once and check on the ventilator that it is set; then return to the patient's settings.`),
        h('li', {}, 'Enter the readings below and press Compute R/I.'),
      ),
      form,
    );
  }

  private submitReadings(): void {
    const readings: Record<string, unknown> = {};
    for (const [path, { input }] of this.readingInputs) {
      const v = toNumber(input.value);
      if (v !== undefined) readings[path] = v;
    }
    if (!this.control({ type: 'screen-readings', readings, screenProtocol: this.values() })) this.store.note('error', 'Not connected: the readings were not sent.');
  }

  private showReadingProblems(problems: readonly FieldProblem[]): void {
    for (const { input, error } of this.readingInputs.values()) {
      error.textContent = '';
      input.removeAttribute('aria-invalid');
    }
    for (const p of problems) {
      const slot = this.readingInputs.get(fieldOf(p));
      if (!slot) continue;
      const value = p.value === undefined ? '(empty)' : JSON.stringify(p.value);
      slot.error.textContent = `${slot.error.textContent ? `${slot.error.textContent}; ` : '⚠ '}${p.field} = ${value}: ${p.message}`;
      slot.input.setAttribute('aria-invalid', 'true');
    }
  }

  /** The operator checklist: one checkbox per item, and who confirms (optional). */
  private checklist(): HTMLElement {
    const items = this.store.server?.checklist.items ?? [];
    this.checks = items.map((item) => {
      const box = h('input', { type: 'checkbox', id: `checklist-${item.id}`, name: `checklist-${item.id}`, value: item.id });
      box.addEventListener('change', () => this.render());
      return box;
    });
    this.checkedBy = h('input', { type: 'text', id: 'checklist-by', name: 'checklist-by', autocomplete: 'name', maxlength: '80' });
    return h(
      'fieldset',
      { class: 'checklist', id: 'checklist' },
      h('legend', {}, 'Before Start: operator checklist'),
      ...items.map((item, i) => h('div', { class: 'field field-bool checklist-item' }, h('label', { for: `checklist-${item.id}` }, this.checks[i]!, ` ${item.text}`))),
      h('div', { class: 'field' }, h('label', { for: 'checklist-by' }, 'Confirmed by (name or initials, optional)'), this.checkedBy),
    );
  }

  private field(def: FieldDef, defaults: Protocol): HTMLElement {
    const id = `f-${def.path.replace(/\./g, '-')}`;
    const value = get(defaults, def.path.replace(/^screen\./, ''));
    let input: HTMLInputElement | HTMLSelectElement;
    if (def.kind === 'select') {
      input = h('select', { id, name: def.path }, ...(def.options ?? []).map((o) => h('option', { value: o, selected: o === value }, o)));
    } else if (def.kind === 'bool') {
      input = h('input', { id, name: def.path, type: 'checkbox', checked: value === true });
    } else {
      input = h('input', { id, name: def.path, type: 'text', inputmode: 'decimal', autocomplete: 'off', value: Array.isArray(value) ? value.join(', ') : String(value ?? '') });
    }
    const error = h('div', { class: 'field-error', id: `${id}-error`, 'aria-live': 'polite' });
    input.setAttribute('aria-describedby', error.id);
    this.inputs.set(def.path, { def, input, error });
    return h('div', { class: `field field-${def.kind ?? 'number'}` }, h('label', { for: id }, def.label, def.unit ? h('span', { class: 'unit' }, ` (${def.unit})`) : null), input, def.help ? h('div', { class: 'field-help' }, def.help) : null, error);
  }

  /** The overrides the form describes; text that is not a number goes as is, so the server names it. */
  private values(scope: 'protocol' | 'screen' = 'protocol'): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [full, { def, input }] of this.inputs) {
      const screenField = full.startsWith('screen.');
      if (screenField !== (scope === 'screen')) continue;
      const path = screenField ? full.slice('screen.'.length) : full;
      if (def.kind === 'bool') set(out, path, (input as HTMLInputElement).checked);
      else if (def.kind === 'select') set(out, path, input.value);
      else if (def.kind === 'list') set(out, path, input.value.split(/[,\s]+/).filter(Boolean).map(toNumber));
      else set(out, path, toNumber(input.value));
    }
    return out;
  }

  private schedulePreview(ms: number): void {
    if (this.previewTimer !== null) window.clearTimeout(this.previewTimer);
    this.previewTimer = window.setTimeout(() => {
      this.previewTimer = null;
      this.send({ type: 'preview', maneuver: this.maneuver, protocol: this.values() });
    }, ms);
  }

  private start(): void {
    if (this.store.server?.checklist.required && !this.checks.every((c) => c.checked)) {
      this.store.note('error', 'Tick every item of the operator checklist before Start.');
      return;
    }
    const items = this.checks.filter((c) => c.checked).map((c) => c.value);
    const by = this.checkedBy?.value.trim() ?? '';
    const checklist = { items, ...(by ? { by } : {}) };
    const screenFirst = this.maneuver === 'staircase' && this.screenFirstBox?.checked === true;
    const screen = screenFirst ? { screenFirst: true, screenProtocol: this.values('screen') } : {};
    if (!this.control({ type: 'start', maneuver: this.maneuver, protocol: this.values(), checklist, ...screen })) {
      this.store.note('error', 'Not connected: the maneuver was not started.');
      return;
    }
    // A confirmation is for one start: the next maneuver asks again.
    for (const c of this.checks) c.checked = false;
    this.render();
  }

  private showProblems(problems: readonly FieldProblem[]): void {
    const unplaced: string[] = [];
    for (const { error, input } of this.inputs.values()) {
      error.textContent = '';
      input.removeAttribute('aria-invalid');
    }
    for (const p of problems) {
      const slot = this.inputs.get(fieldOf(p));
      if (!slot) {
        unplaced.push(`${p.field || 'protocol'}: ${p.message}`);
        continue;
      }
      slot.error.textContent = `⚠ ${slot.error.textContent ? `${slot.error.textContent.slice(2)}; ` : ''}${p.message}`;
      slot.input.setAttribute('aria-invalid', 'true');
    }
    fill(this.formErrors, ...unplaced.map((u) => h('div', {}, `⚠ ${u}`)));
  }
}

function toNumber(text: string): unknown {
  const t = text.trim();
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}
