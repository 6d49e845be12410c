/**
 * The operator checklist confirmed before a maneuver starts: what the controller cannot
 * measure and a clinician checks at the bedside (clinical.md, "Before a recruitment
 * maneuver"). The items live here, once; the CLI, the console and the preconditions use them.
 */

export const CHECKLIST_ITEMS = [
  { id: 'sedation', text: 'Sedation (and neuromuscular blockade where used) is adequate: the patient is not breathing against the ventilator.' },
  { id: 'no-pneumothorax', text: 'There is no undrained pneumothorax.' },
  { id: 'no-raised-icp', text: 'There is no raised intracranial pressure.' },
  { id: 'stable-vasopressors', text: 'The vasopressor dose is stable (not being increased).' },
] as const satisfies ReadonlyArray<{ id: string; text: string }>;

export type ChecklistItemId = (typeof CHECKLIST_ITEMS)[number]['id'];

export const CHECKLIST_IDS: readonly ChecklistItemId[] = CHECKLIST_ITEMS.map((i) => i.id);

/** Who confirmed which items, and when (ms since the epoch). */
export interface ChecklistConfirmation {
  items: ChecklistItemId[];
  /** The operator, when known. */
  by: string | null;
  at: number;
}

export function isChecklistItemId(id: string): id is ChecklistItemId {
  return (CHECKLIST_IDS as readonly string[]).includes(id);
}

/**
 * The items not among `confirmed`, in checklist order.
 *
 * @example
 * unconfirmedItems(['sedation']).map((i) => i.id); // ['no-pneumothorax', 'no-raised-icp', 'stable-vasopressors']
 */
export function unconfirmedItems(confirmed: readonly string[]): (typeof CHECKLIST_ITEMS)[number][] {
  return CHECKLIST_ITEMS.filter((i) => !confirmed.includes(i.id));
}
