/** Serial line settings, validated at the edge. Devices differ (MEDIBUS: 9600 8E1 Primus, 19200 8N1 Evita, ...). */
import { z } from 'zod';

export const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] as const;

export const SerialSettingsSchema = z
  .object({
    path: z.string({ error: 'must be a serial port path such as /dev/ttyUSB0' }).min(1, { error: 'must be a serial port path such as /dev/ttyUSB0' }),
    baudRate: z
      .number({ error: `must be one of ${BAUD_RATES.join(', ')}` })
      .refine((v) => (BAUD_RATES as readonly number[]).includes(v), { error: `must be one of ${BAUD_RATES.join(', ')}` }),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    dataBits: z.union([z.literal(7), z.literal(8)], { error: 'must be 7 or 8' }).default(8),
    stopBits: z.union([z.literal(1), z.literal(2)], { error: 'must be 1 or 2' }).default(1),
  })
  .strict();

export type SerialSettings = z.output<typeof SerialSettingsSchema>;
export type SerialSettingsInput = z.input<typeof SerialSettingsSchema>;
