/** Unit tests of context helpers build checked samples directly (the edge check has its own tests). */
import type { CheckedSample, MonitorSample } from '../../machines/index.js';

export const checked = (s: Omit<MonitorSample, 'invalid'>): CheckedSample => ({ checked: true, ...s });
