/**
 * The layer rule of rm-sequencer (README "Architecture"), checked by `npm test`
 * (test/architecture/layers.test.ts runs depcruise with this file):
 * - machines/ and sim/ are pure: nothing from hal/, src/, emulators/, conformance/, testing/;
 * - hal/ imports sim/ only in its simulated adapter (hal/simulated/), and never the application;
 * - nothing below the application imports it (src/ is the top: only bin/ and the tests use it);
 * - the vendor kits (conformance/, testing/) use machines, hal and sim, never the application;
 * - common/ (clock, validation) imports nothing of ours;
 * - no import cycles anywhere.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'machines-pure',
      comment: 'The maneuver machines are the specification: no I/O, no adapters, no application, no simulated patient.',
      severity: 'error',
      from: { path: '^machines/' },
      to: { path: '^(hal|src|sim|emulators|conformance|testing)/' },
    },
    {
      name: 'sim-pure',
      comment: 'The simulated patient is deterministic and independent of the controller it tests.',
      severity: 'error',
      from: { path: '^sim/' },
      to: { path: '^(hal|src|machines|emulators|conformance|testing)/' },
    },
    {
      name: 'hal-sim-only-in-simulated-adapter',
      comment: 'hal/ may import sim/ only in its simulated adapter.',
      severity: 'error',
      from: { path: '^hal/', pathNot: '^hal/simulated/' },
      to: { path: '^sim/' },
    },
    {
      name: 'nothing-imports-the-application',
      comment: 'src/ is the application at the top: machines, sim, hal, emulators and the vendor kits never import it.',
      severity: 'error',
      from: { path: '^(machines|sim|hal|common|emulators|conformance|testing)/' },
      to: { path: '^src/' },
    },
    {
      name: 'hal-not-emulators',
      comment: 'The host side never imports the device side it is tested against.',
      severity: 'error',
      from: { path: '^(hal|machines|sim|common|conformance|testing)/' },
      to: { path: '^emulators/' },
    },
    {
      name: 'common-is-a-leaf',
      severity: 'error',
      from: { path: '^common/' },
      to: { path: '^(machines|sim|hal|src|emulators|conformance|testing)/' },
    },
    {
      name: 'no-circular',
      comment: 'Import cycles make load order and layering accidental.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Tests, benchmarks and scripts are cruised too (for cycles); the layer rules name source folders only.
    exclude: { path: '^(node_modules|dist)/|\\.d\\.ts$|^src/console/web/|^test/package/fixture/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js'] },
  },
};
