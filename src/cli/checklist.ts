/**
 * The operator checklist at the terminal: `--confirm-checklist <ids|all>` for scripted runs,
 * or one y/n question per item when stdin is a terminal (machines/checklist.ts holds the items).
 */
import { userInfo } from 'node:os';
import type { Observable } from 'rxjs';
import { z } from 'zod';
import { CHECKLIST_IDS, CHECKLIST_ITEMS, unconfirmedItems, type ChecklistConfirmation, type ChecklistItemId } from '../../machines/index.js';
import { CliError } from './exitCodes.js';
import { lineQueue } from './stdinLines.js';

const ALLOWED = `allowed: all, ${CHECKLIST_IDS.join(', ')} (comma-separated)`;

const ChecklistFlagSchema = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()))
  .superRefine((parts, ctx) => {
    if (parts.length === 1 && parts[0] === '') return void ctx.addIssue({ code: 'custom', message: `no item given; ${ALLOWED}` });
    if (parts.includes('')) return void ctx.addIssue({ code: 'custom', message: `empty item; ${ALLOWED}` });
    if (parts.includes('all') && parts.length > 1) return void ctx.addIssue({ code: 'custom', message: `"all" stands alone; ${ALLOWED}` });
    for (const p of parts) {
      if (p !== 'all' && !(CHECKLIST_IDS as readonly string[]).includes(p)) ctx.addIssue({ code: 'custom', message: `unknown item "${p}"; ${ALLOWED}` });
    }
  });

/**
 * The items `--confirm-checklist` confirms, in checklist order. Bad input: CliError (exit 2).
 *
 * @example
 * parseChecklistFlag('no-raised-icp,sedation'); // ['sedation', 'no-raised-icp']
 */
export function parseChecklistFlag(value: string): ChecklistItemId[] {
  const r = ChecklistFlagSchema.safeParse(value);
  if (!r.success) throw new CliError(`--confirm-checklist = ${JSON.stringify(value)}: ${r.error.issues[0]!.message}`);
  if (r.data[0] === 'all') return [...CHECKLIST_IDS];
  return CHECKLIST_IDS.filter((id) => r.data.includes(id));
}

/**
 * Asks each item on `write`, one answer line each (y/yes or n/no; anything else asks again).
 * Resolves with the items answered yes; an ended input confirms nothing more.
 */
export async function askChecklist(lines$: Observable<string>, write: (s: string) => void): Promise<ChecklistItemId[]> {
  // One subscription for all questions: a line typed ahead is kept for the next question.
  const lines = lineQueue(lines$);
  const next = (): Promise<string | null> => lines.next();
  const confirmed: ChecklistItemId[] = [];
  try {
    write('Operator checklist before the start (y/n for each):\n');
    items: for (const item of CHECKLIST_ITEMS) {
      for (;;) {
        write(`  ${item.text} [y/n] `);
        const answer = await next();
        if (answer === null) break items;
        const a = answer.trim().toLowerCase();
        if (a === 'y' || a === 'yes') {
          confirmed.push(item.id);
          break;
        }
        if (a === 'n' || a === 'no') break;
        write('  answer y or n\n');
      }
    }
  } finally {
    lines.close();
  }
  const open = unconfirmedItems(confirmed);
  if (open.length > 0) write(`not confirmed: ${open.map((i) => i.id).join(', ')}: the maneuver will not start\n`);
  return confirmed;
}

/** The operator's name as far as the terminal knows it (the OS user), or null. */
export function operatorName(): string | null {
  try {
    return userInfo().username || null;
  } catch {
    return null;
  }
}

export function confirmation(items: ChecklistItemId[], by: string | null, at: number): ChecklistConfirmation {
  return { items, by, at };
}
