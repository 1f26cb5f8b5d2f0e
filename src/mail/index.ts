import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { createOutboxTransport } from './outbox.js';
import { createResendTransport, type ResendTransportOptions } from './resend.js';
import type { Transport } from './transport.js';

/** Resend when RESEND_API_KEY is set, else the outbox directory. */
export function createTransport(
  config: Pick<Config, 'resendApiKey' | 'outboxDir'>,
  clock: Clock,
  resendOptions: Pick<ResendTransportOptions, 'onRateLimit' | 'timeoutMs'> = {},
): Transport {
  return config.resendApiKey
    ? createResendTransport(config.resendApiKey, { ...resendOptions, now: () => clock.now() })
    : createOutboxTransport(config.outboxDir, clock);
}
