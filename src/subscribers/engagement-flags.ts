/**
 * Which opens and clicks a person made, and which a machine made: link
 * scanners of mail filters follow every link as the mail arrives, and
 * mail-privacy proxies fetch the tracking image for the reader. Their events
 * are kept but flagged, and left out of the rates. A pure decision of the
 * event, the delivery's times and the email's other events; the event store
 * applies it in the transaction that records the event.
 */
import type { Classification, DeliveryTimes, EngagementFlag, RecordedEvent } from '../../db/types.js';

/** An open or click less than this after the email was delivered (or sent) is not a person reading it. */
export const SOON_AFTER_DELIVERY_MS = 10_000;
/** Clicks on this many different links of one email within BURST_WINDOW_MS are a scanner following every link. */
export const BURST_MIN_LINKS = 3;
export const BURST_WINDOW_MS = 5_000;

const OPENED = 'email.opened';
const CLICKED = 'email.clicked';
const DELIVERED = 'email.delivered';

/**
 * User agents of link scanners and other programs that follow links: mail
 * security gateways by name, crawlers and link previews (by name, or by the
 * "+http://" contact address robots put in theirs; a bare "bot" would match
 * phone names such as Cubot), headless browsers, HTTP libraries. A browser
 * never sends the bare "Mozilla/5.0" that several scanners send.
 */
const SCANNER_AGENTS: RegExp[] = [
  /^Mozilla\/[45]\.0$/,
  /barracuda|mimecast|proofpoint|forcepoint|ironport|trend ?micro|sophos|symantec|messagelabs|fireeye|fortiguard|zscaler|safelinks|scanner/i,
  /googlebot|bingbot|bingpreview|applebot|slackbot|twitterbot|linkedinbot|discordbot|telegrambot|yandexbot|duckduckbot|facebookexternalhit|skypeuripreview|whatsapp|crawler|spider|\+https?:\/\//i,
  /headlesschrome|phantomjs|python-requests|python-urllib|aiohttp|curl\/|wget|go-http-client|java\/|okhttp|libwww-perl|apache-httpclient|axios\/|node-fetch/i,
];

/**
 * Apple Mail Privacy Protection fetches the tracking image with the bare
 * "Mozilla/5.0" whether or not the reader ever opens the mail. Gmail's and
 * Yahoo's image proxies fetch when the reader opens it, so their user agents
 * alone flag nothing (a prefetch on arrival is caught by its timing).
 * Resend's open events carry no user agent today; then only timing decides.
 */
const PROXY_AGENTS: RegExp[] = [/^Mozilla\/5\.0$/];

/** The new event as the webhook reported it (the user agent is used here and never stored). */
export type EventSignal = { id: string; type: string; occurredAt: number; link: string | null; userAgent: string | null };

const NONE: Classification = { flag: null, alsoFlag: [] };

export function isScannerAgent(userAgent: string | null): boolean {
  const ua = userAgent?.trim();
  return !!ua && SCANNER_AGENTS.some((re) => re.test(ua));
}

export function isPrivacyProxyAgent(userAgent: string | null): boolean {
  const ua = userAgent?.trim();
  return !!ua && PROXY_AGENTS.some((re) => re.test(ua));
}

/** The moment the mail reached the reader's server as far as we know: delivered, else sent (null: unknown). */
function arrival(delivery: DeliveryTimes | null): number | null {
  if (!delivery) return null;
  const known = [delivery.sentAt, delivery.deliveredAt].filter((t): t is number => t !== null);
  return known.length ? Math.max(...known) : null;
}

/** Before delivery (clock skew, or an event reported ahead of it) counts as soon too. */
function soonAfter(at: number, arrivedAt: number | null): boolean {
  return arrivedAt !== null && at < arrivedAt + SOON_AFTER_DELIVERY_MS;
}

function flagFor(type: string, reason: EngagementFlag['reason']): EngagementFlag | null {
  if (type === CLICKED) return { flag: 'link_scanner', reason };
  if (type === OPENED) return { flag: 'privacy_proxy', reason };
  return null;
}

/**
 * The clicks (the new one among them) that fall, with the new one, in a
 * window of BURST_WINDOW_MS holding clicks on BURST_MIN_LINKS or more
 * different links. Earlier clicks join a burst that a later one completes,
 * whatever order the webhooks arrived in.
 */
export function burstWith(click: EventSignal, others: readonly RecordedEvent[]): Set<string> {
  const clicks = [{ id: click.id, occurredAt: click.occurredAt, link: click.link }, ...others.filter((e) => e.type === CLICKED)];
  const t = click.occurredAt;
  const members = new Set<string>();
  for (const start of clicks) {
    if (start.occurredAt < t - BURST_WINDOW_MS || start.occurredAt > t) continue;
    const inWindow = clicks.filter((c) => c.occurredAt >= start.occurredAt && c.occurredAt <= start.occurredAt + BURST_WINDOW_MS);
    const links = new Set(inWindow.map((c) => c.link).filter((l) => l !== null));
    if (links.size >= BURST_MIN_LINKS) for (const c of inWindow) members.add(c.id);
  }
  return members;
}

/**
 * Flags for a new event and for earlier events of its email:
 * - a click by a known scanner user agent, or less than 10 s after delivery,
 *   or on the third different link within 5 s (with the clicks of that burst);
 * - an open by a privacy proxy's user agent, or less than 10 s after delivery;
 * - a late `delivered` event flags the opens and clicks that turn out to have
 *   come less than 10 s after it.
 * An event keeps the first flag it got; other event types are never flagged.
 */
export function classifyEvent(event: EventSignal, context: { delivery: DeliveryTimes | null; others: readonly RecordedEvent[] }): Classification {
  const { delivery, others } = context;
  if (event.type === DELIVERED) {
    const arrivedAt = arrival(delivery && { sentAt: delivery.sentAt, deliveredAt: delivery.deliveredAt ?? event.occurredAt });
    const alsoFlag = others.flatMap((e) => {
      const flag = e.flag === null && soonAfter(e.occurredAt, arrivedAt) ? flagFor(e.type, 'soon_after_delivery') : null;
      return flag ? [{ id: e.id, flag }] : [];
    });
    return { flag: null, alsoFlag };
  }
  if (event.type === OPENED) {
    if (isPrivacyProxyAgent(event.userAgent)) return { flag: { flag: 'privacy_proxy', reason: 'proxy_user_agent' }, alsoFlag: [] };
    if (soonAfter(event.occurredAt, arrival(delivery))) return { flag: { flag: 'privacy_proxy', reason: 'soon_after_delivery' }, alsoFlag: [] };
    return NONE;
  }
  if (event.type === CLICKED) {
    const burst = burstWith(event, others);
    const flag: EngagementFlag | null = isScannerAgent(event.userAgent)
      ? { flag: 'link_scanner', reason: 'scanner_user_agent' }
      : soonAfter(event.occurredAt, arrival(delivery))
        ? { flag: 'link_scanner', reason: 'soon_after_delivery' }
        : burst.has(event.id)
          ? { flag: 'link_scanner', reason: 'all_links_at_once' }
          : null;
    const alsoFlag = others
      .filter((e) => e.type === CLICKED && e.flag === null && burst.has(e.id))
      .map((e) => ({ id: e.id, flag: { flag: 'link_scanner', reason: 'all_links_at_once' } as EngagementFlag }));
    return { flag, alsoFlag };
  }
  return NONE;
}
