/** The emulated Philips IntelliVue (Data Export over UDP or the MIB RS232 interface). */
export { IntelliVueEmulator, INOPS, type InopName, type QuestionableField, type IntelliVueEmulatorOptions, type IntelliVueEmulatorStatus } from './monitor.js';
export { UdpMonitorLink, SerialMonitorLink, type MonitorLink } from './links.js';
export { parseIntelliVueControl, executeIntelliVueControl, INTELLIVUE_CONTROL_HELP, type IntelliVueControl } from './control.js';
