/** Worker thread of the cohort runner: regenerates the seeded cohort and runs its share. */
import { parentPort, workerData } from 'node:worker_threads';
import { generateCohort } from '../../sim/index.js';
import { runCohortPatient } from './patient.js';
import { runTrialPatient } from './trial.js';
import type { CohortJob } from './pool.js';

const job = workerData as CohortJob;
const cohort = generateCohort({ n: job.n, seed: job.seed });
for (const index of job.indices) {
  const patient = cohort[index];
  if (!patient) continue;
  const result = job.trial
    ? await runTrialPatient(index, patient, job.trial)
    : await runCohortPatient({ index, patient, maneuver: job.maneuver, protocol: job.protocol, baseline: job.baseline });
  parentPort?.postMessage(result);
}
