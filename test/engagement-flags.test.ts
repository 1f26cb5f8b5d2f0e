import { describe, expect, it } from 'vitest';
import type { DeliveryTimes, RecordedEvent } from '../db/types.js';
import { BURST_WINDOW_MS, classifyEvent, isScannerAgent, SOON_AFTER_DELIVERY_MS } from '../src/subscribers/engagement-flags.js';
import { eventSignal, parseResendEvent } from '../src/subscribers/provider-events.js';

// Payloads in the shape Resend posts them (docs: webhooks/emails/clicked, opened, delivered).
const SENT = Date.parse('2026-03-03T14:00:00.000Z');
const DELIVERED = SENT + 2_000;
const at = (ms: number) => new Date(ms).toISOString();
const SAFARI = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';
const LINKS = {
  trial: 'https://doi.org/10.1038/s41591-021-01336-3',
  safety: 'https://nurture.test/learn/safety?utm_source=email',
  preferences: 'https://nurture.test/p/7f3c1a9e0b4d4c2a8e6f5b1d9c0a3e7f2b4d6c8a',
  unsubscribe: 'https://nurture.test/u/0b4d4c2a8e6f5b1d9c0a3e7f2b4d6c8a7f3c1a9e',
};

function envelope(type: string, createdAt: number, extra: Record<string, unknown> = {}) {
  return {
    type,
    created_at: at(createdAt + 150),
    data: {
      created_at: at(SENT - 400),
      email_id: '56761188-7520-42d8-8898-ff6fc54ce618',
      from: 'Harbor Clinic <education@harborclinic.example>',
      to: ['reader@example.org'],
      subject: 'How the treatment works',
      tags: { delivery: '42' },
      ...extra,
    },
  };
}

const clicked = (when: number, link: string, userAgent = SAFARI) =>
  envelope('email.clicked', when, { click: { ipAddress: '122.115.53.11', link, timestamp: at(when), userAgent } });

let n = 0;
/** The signal the webhook route reads from a posted payload. */
function signalOf(payload: unknown, id = `msg_${++n}`) {
  const event = parseResendEvent(payload);
  if (!event) throw new Error('not an event');
  return eventSignal(id, event, Date.parse(event.created_at!) + 300);
}

/** An event already stored for the same email, as the store hands it to the classifier. */
function stored(payload: unknown, id: string, flag: RecordedEvent['flag'] = null): RecordedEvent {
  const s = signalOf(payload, id);
  return { id, type: s.type, occurredAt: s.occurredAt, link: s.link, flag };
}

const delivered: DeliveryTimes = { sentAt: SENT, deliveredAt: DELIVERED };
const hourLater = DELIVERED + 3_600_000;

describe('eventSignal', () => {
  it("reads a click's own time, its link without query or tokens, and its user agent", () => {
    expect(signalOf(clicked(hourLater, LINKS.preferences), 'msg_a')).toEqual({ id: 'msg_a', type: 'email.clicked', occurredAt: hourLater, link: 'https://nurture.test/p/…', userAgent: SAFARI });
    expect(signalOf(clicked(hourLater, LINKS.safety)).link).toBe('https://nurture.test/learn/safety');
  });

  it("an open has the event's time and, as Resend sends it, no user agent", () => {
    expect(signalOf(envelope('email.opened', hourLater))).toMatchObject({ type: 'email.opened', occurredAt: hourLater + 150, link: null, userAgent: null });
  });
});

describe('classifyEvent: clicks', () => {
  it('a person clicking an hour after delivery is counted', () => {
    expect(classifyEvent(signalOf(clicked(hourLater, LINKS.trial)), { delivery: delivered, others: [] })).toEqual({ flag: null, alsoFlag: [] });
  });

  it.each([
    'Mozilla/5.0',
    'Mozilla/4.0',
    'python-requests/2.31.0',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/122.0.0.0 Safari/537.36',
    'Barracuda Sentinel (EE)',
    'Mozilla/5.0 (compatible; Mimecast URL Protect)',
    'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
    'Mozilla/5.0 (compatible; SomeLinkChecker/1.1; +https://checker.example/about)',
    'curl/8.5.0',
    'Go-http-client/1.1',
  ])('a click by the scanner %j is flagged whenever it comes', (userAgent) => {
    expect(classifyEvent(signalOf(clicked(hourLater, LINKS.trial, userAgent)), { delivery: delivered, others: [] }).flag).toEqual({ flag: 'link_scanner', reason: 'scanner_user_agent' });
    expect(classifyEvent(signalOf(clicked(hourLater, LINKS.trial, userAgent)), { delivery: null, others: [] }).flag).toEqual({ flag: 'link_scanner', reason: 'scanner_user_agent' });
  });

  it.each([
    SAFARI,
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    'Mozilla/5.0 (Linux; Android 12; CUBOT X50 Build/SP1A.210812.016) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Mobile Safari/537.36',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0',
    'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)',
  ])('a browser or mail program is no scanner: %j', (userAgent) => {
    expect(isScannerAgent(userAgent)).toBe(false);
  });

  it('a click less than 10 s after delivery is a scanner; from 10 s on it counts', () => {
    const soon = (ms: number) => classifyEvent(signalOf(clicked(DELIVERED + ms, LINKS.trial)), { delivery: delivered, others: [] }).flag;
    expect(soon(3_000)).toEqual({ flag: 'link_scanner', reason: 'soon_after_delivery' });
    expect(soon(SOON_AFTER_DELIVERY_MS - 1)).toEqual({ flag: 'link_scanner', reason: 'soon_after_delivery' });
    expect(soon(SOON_AFTER_DELIVERY_MS)).toBeNull();
    // Before the delivered event's time (clocks differ): no person clicks that.
    expect(soon(-1_000)).toEqual({ flag: 'link_scanner', reason: 'soon_after_delivery' });
  });

  it('before any delivered event, the time it was sent is the start; unknown times flag nothing by timing', () => {
    const click = signalOf(clicked(SENT + 4_000, LINKS.trial));
    expect(classifyEvent(click, { delivery: { sentAt: SENT, deliveredAt: null }, others: [] }).flag).toEqual({ flag: 'link_scanner', reason: 'soon_after_delivery' });
    expect(classifyEvent(click, { delivery: { sentAt: null, deliveredAt: null }, others: [] }).flag).toBeNull();
    expect(classifyEvent(click, { delivery: null, others: [] }).flag).toBeNull();
  });

  it('the third different link within 5 s flags itself and the two before it', () => {
    const t = hourLater;
    const first = stored(clicked(t, LINKS.trial), 'msg_1');
    const second = stored(clicked(t + 800, LINKS.safety), 'msg_2');
    // The second alone: two links are what a quick reader might do.
    expect(classifyEvent(signalOf(clicked(t + 800, LINKS.safety), 'msg_2'), { delivery: delivered, others: [first] })).toEqual({ flag: null, alsoFlag: [] });
    const third = signalOf(clicked(t + 1_900, LINKS.unsubscribe), 'msg_3');
    expect(classifyEvent(third, { delivery: delivered, others: [first, second] })).toEqual({
      flag: { flag: 'link_scanner', reason: 'all_links_at_once' },
      alsoFlag: [
        { id: 'msg_1', flag: { flag: 'link_scanner', reason: 'all_links_at_once' } },
        { id: 'msg_2', flag: { flag: 'link_scanner', reason: 'all_links_at_once' } },
      ],
    });
  });

  it('webhooks out of order: a click reported last but made first completes the burst', () => {
    const t = hourLater;
    const later = [stored(clicked(t + 1_000, LINKS.safety), 'msg_b'), stored(clicked(t + 2_000, LINKS.preferences), 'msg_c')];
    const result = classifyEvent(signalOf(clicked(t, LINKS.trial), 'msg_a'), { delivery: delivered, others: later });
    expect(result.flag).toEqual({ flag: 'link_scanner', reason: 'all_links_at_once' });
    expect(result.alsoFlag.map((f) => f.id)).toEqual(['msg_b', 'msg_c']);
  });

  it('keeps the flag an earlier click already has, and leaves clicks outside the burst alone', () => {
    const t = hourLater;
    const others = [
      stored(clicked(t - 60_000, LINKS.trial), 'msg_reader'), // a minute before: a person
      stored(clicked(t, LINKS.trial, 'Mozilla/5.0'), 'msg_scanner', 'link_scanner'),
      stored(clicked(t + 500, LINKS.safety), 'msg_2'),
    ];
    const result = classifyEvent(signalOf(clicked(t + 1_000, LINKS.preferences), 'msg_3'), { delivery: delivered, others });
    expect(result.flag).toEqual({ flag: 'link_scanner', reason: 'all_links_at_once' });
    expect(result.alsoFlag).toEqual([{ id: 'msg_2', flag: { flag: 'link_scanner', reason: 'all_links_at_once' } }]);
  });

  it('no burst: the same link clicked again and again, three links spread over more than 5 s, opens among the clicks', () => {
    const t = hourLater;
    const same = [stored(clicked(t, LINKS.trial), 'msg_1'), stored(clicked(t + 300, LINKS.trial), 'msg_2')];
    expect(classifyEvent(signalOf(clicked(t + 600, LINKS.trial)), { delivery: delivered, others: same })).toEqual({ flag: null, alsoFlag: [] });
    const spread = [stored(clicked(t, LINKS.trial), 'msg_1'), stored(clicked(t + BURST_WINDOW_MS / 2 + 1, LINKS.safety), 'msg_2')];
    expect(classifyEvent(signalOf(clicked(t + BURST_WINDOW_MS + 1, LINKS.preferences)), { delivery: delivered, others: spread })).toEqual({ flag: null, alsoFlag: [] });
    const withOpen = [stored(clicked(t, LINKS.trial), 'msg_1'), stored(envelope('email.opened', t + 100), 'msg_open')];
    expect(classifyEvent(signalOf(clicked(t + 200, LINKS.safety)), { delivery: delivered, others: withOpen })).toEqual({ flag: null, alsoFlag: [] });
  });
});

describe('classifyEvent: opens', () => {
  it('an open less than 10 s after delivery is a privacy proxy fetching the image; later it counts', () => {
    expect(classifyEvent(signalOf(envelope('email.opened', DELIVERED + 1_000)), { delivery: delivered, others: [] })).toEqual({
      flag: { flag: 'privacy_proxy', reason: 'soon_after_delivery' },
      alsoFlag: [],
    });
    expect(classifyEvent(signalOf(envelope('email.opened', hourLater)), { delivery: delivered, others: [] })).toEqual({ flag: null, alsoFlag: [] });
  });

  it("an open with Apple's bare proxy user agent is flagged at any time; Gmail's proxy fetches when the reader opens, so it counts", () => {
    const open = (userAgent: string) => envelope('email.opened', hourLater, { open: { ipAddress: '17.58.1.1', timestamp: at(hourLater), userAgent } });
    expect(classifyEvent(signalOf(open('Mozilla/5.0')), { delivery: delivered, others: [] }).flag).toEqual({ flag: 'privacy_proxy', reason: 'proxy_user_agent' });
    expect(classifyEvent(signalOf(open('Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)')), { delivery: delivered, others: [] }).flag).toBeNull();
  });
});

describe('classifyEvent: a delivered event reported after the opens and clicks', () => {
  it('flags the unflagged opens and clicks that came less than 10 s after it', () => {
    const d = DELIVERED;
    const others = [
      stored(envelope('email.opened', d + 1_000), 'msg_open'), // stored time: created_at, 150 ms later
      stored(clicked(d + 4_000, LINKS.trial), 'msg_click'),
      stored(clicked(d + 5_000, LINKS.safety, 'Mozilla/5.0'), 'msg_scanner', 'link_scanner'),
      stored(clicked(d + 60_000, LINKS.safety), 'msg_reader'),
      stored(envelope('email.delivery_delayed', d - 60_000), 'msg_delay'),
    ];
    const result = classifyEvent(signalOf(envelope('email.delivered', d - 150)), { delivery: { sentAt: SENT, deliveredAt: null }, others });
    expect(result).toEqual({
      flag: null,
      alsoFlag: [
        { id: 'msg_open', flag: { flag: 'privacy_proxy', reason: 'soon_after_delivery' } },
        { id: 'msg_click', flag: { flag: 'link_scanner', reason: 'soon_after_delivery' } },
      ],
    });
  });
});

it('bounces, complaints and delays are never flagged', () => {
  for (const type of ['email.bounced', 'email.complained', 'email.delivery_delayed', 'email.sent']) {
    expect(classifyEvent(signalOf(envelope(type, DELIVERED + 500)), { delivery: delivered, others: [] })).toEqual({ flag: null, alsoFlag: [] });
  }
});
