/**
 * Identifiers of the Data Export protocol used here (Philips "Data Export Interface
 * Programming Guide": session/presentation headers, remote operations, the nomenclature).
 * Kept as data, one table, so the codec and the mapping name the same numbers.
 */

/** Session SPDU identifiers (first byte of every message). */
export const SPDU = {
  /** CN_SPDU_SI: association request (client -> monitor). */
  connect: 0x0d,
  /** AC_SPDU_SI: association accepted. */
  accept: 0x0e,
  /** RF_SPDU_SI: association refused. */
  refuse: 0x0c,
  /** FN_SPDU_SI: release request. */
  finish: 0x09,
  /** DN_SPDU_SI: release response ("disconnect"). */
  disconnect: 0x0a,
  /** AB_SPDU_SI: abort. */
  abort: 0x19,
  /** Data export messages start with 0xE1 0x00 (session id) and the presentation context 0x0002. */
  data: 0xe1,
} as const;

/** ROapdus ro_type. */
export const RO = { invoke: 1, result: 2, error: 3, linkedResult: 5 } as const;

/** Remote operation command types. */
export const CMD = { eventReport: 0, confirmedEventReport: 1, get: 3, set: 4, confirmedSet: 5, confirmedAction: 7 } as const;

/** RORLSapdu state. */
export const RORLS = { first: 1, notFirstNotLast: 2, last: 3 } as const;

/** Object classes and actions (NOM_MOC_*, NOM_ACT_*, NOM_NOTI_*). */
export const MOC = {
  vmoMetricNumeric: 6,
  vmsMds: 33,
  alertMonitor: 54,
} as const;

export const NOM_PART_OBJ = 1;
export const NOM_ACT_POLL_MDIB_DATA_EXT = 0xf13b;
export const NOM_NOTI_MDS_CREAT = 0x0d06;

/** Attribute ids (NOM_ATTR_*). */
export const ATTR = {
  idHandle: 0x0921,
  idLabel: 0x0924,
  idType: 0x092f,
  nuValObs: 0x0950,
  nuCmpdValObs: 0x094b,
  timeStampAbs: 0x0990,
  timeStampRel: 0x0991,
  alMonTechAlarmList: 0x0904,
  alMonPhysAlarmList: 0x0902,
  /** NOM_ATTR_POLL_PROFILE_EXT in the association user info. */
  pollProfileExt: 0xf001,
} as const;

/** Attribute groups polled. */
export const ATTR_GRP = { all: 0, alertMonitor: 0x0801 } as const;

/** Measurement state bits of a numeric observation (MeasurementState). */
export const MSMT = {
  invalid: 0x8000,
  questionable: 0x4000,
  unavailable: 0x2000,
  calibrationOngoing: 0x1000,
  testData: 0x0800,
  demoData: 0x0400,
  validated: 0x0080,
  earlyIndication: 0x0040,
  ongoing: 0x0020,
  inAlarm: 0x0002,
  alarmInhibited: 0x0001,
} as const;

/** States that make a value not a measurement (demo and test data are refused outright as well). */
export const MSMT_NOT_VALID = MSMT.invalid | MSMT.questionable | MSMT.unavailable | MSMT.calibrationOngoing | MSMT.testData | MSMT.demoData;

/** Physiological ids (SCADA codes, the low 16 bits of NOM_*), for the numerics used. */
export const PHYSIO = {
  spo2: 0x4bb8, // NOM_PULS_OXIM_SAT_O2
  perfusionIndex: 0x4bb0, // NOM_PULS_OXIM_PERF_REL
  plethRate: 0x4822, // NOM_PLETH_PULS_RATE
  pleth: 0x4bb4, // NOM_PLETH
  ecgHr: 0x4182, // NOM_ECG_CARD_BEAT_RATE
  abp: 0x4a14, // NOM_PRESS_BLD_ART_ABP
  abpSys: 0x4a15,
  abpDia: 0x4a16,
  abpMean: 0x4a17,
  art: 0x4a10, // NOM_PRESS_BLD_ART
  artSys: 0x4a11,
  artDia: 0x4a12,
  artMean: 0x4a13,
  nbp: 0x4a04, // NOM_PRESS_BLD_NONINV
  nbpSys: 0x4a05,
  nbpDia: 0x4a06,
  nbpMean: 0x4a07,
} as const;

/** Units (NOM_DIM_*). */
export const DIM = {
  dimless: 0x0200,
  percent: 0x0220,
  beatsPerMin: 0x0aa0,
  mmHg: 0x0f20,
  kPa: 0x0f03,
} as const;

/** Alert types (AlertType): technical alarms (INOPs) and physiological alarms. */
export const ALERT_TYPE = { none: 0, lowTech: 1, medTech: 2, highTech: 4, lowPhys: 256, medPhys: 512, highPhys: 1024 } as const;

/** Some INOP codes (NOM_EVT_*), for naming them; any technical alarm on a watched source counts. */
export const EVT: Readonly<Record<number, string>> = {
  22: 'disconnected',
  268: 'lead disconnected',
  274: 'leads off',
  308: 'sensor disconnected',
  310: 'sensor malfunction',
  336: 'transducer disconnected',
  358: 'measurement inoperative',
  380: 'signal low',
  442: 'non-pulsatile',
  6170: 'zeroing',
  6154: 'calibration running',
  61818: 'zero failed',
};

/** The UDP port the monitor listens on for Data Export (protocol messages). */
export const DATA_EXPORT_PORT = 24105;
