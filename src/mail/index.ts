import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { ResendTransportOptions } from './resend.js';
import type { Transport } from './transport.js';

/** Resend when RESEND_API_KEY is set, else the outbox directory. */
export async function createTransport(
  config: Pick<Config, 'resendApiKey' | 'outboxDir'>,
  clock: Clock,
  resendOptions: Pick<ResendTransportOptions, 'onRateLimit' | 'timeoutMs'> = {},
): Promise<Transport> {
  // Only the transport in use is loaded (the resend SDK or nodemailer), to keep start-up short.
  if (config.resendApiKey) {
    const { createResendTransport } = await import('./resend.js');
    // A retry-after given as a date is the provider's clock: real time, even under npm run tick -- --now.
    return createResendTransport(config.resendApiKey, { ...resendOptions, now: Date.now });
  }
  const { createOutboxTransport } = await import('./outbox.js');
  return createOutboxTransport(config.outboxDir, clock);
}
