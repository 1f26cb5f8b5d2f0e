/** @jsxImportSource hono/jsx */
import type { SequenceStep } from '../../nurture/sequence.js';
import type { PlannedStep } from '../../nurture/decide.js';
import { describeEffect, describeStep, type VersionEffect, type VersionsOverview } from '../../nurture/versions.js';
import { CsrfInput, formatTime } from './layout.js';

/** "step 9 (The subject)" for any step of any version the code knows. */
export function stepTitles(overview: VersionsOverview): (step: number) => string {
  const byId = new Map<number, SequenceStep>();
  for (const v of overview.versions) for (const s of v.steps) byId.set(s.step, s);
  return (step) => `step ${step}` + (byId.get(step) ? ` ("${byId.get(step)!.subject}")` : '');
}

/**
 * The versions of the sequence: the one running, earlier ones, and any in
 * the code not yet published with what publishing it would do to the people
 * in flight. `token` is null for anyone but an admin (no publish button).
 */
export function SequenceVersions({ overview, effects, token, zone, base = '/staff/sequence' }: { overview: VersionsOverview; effects: VersionEffect[]; token: string | null; zone: string; base?: string }) {
  const title = stepTitles(overview);
  const publishedAt = new Map(overview.published.map((p) => [p.version, p]));
  return (
    <section aria-labelledby="versions-h">
      <h2 id="versions-h">Versions</h2>
      <p class="muted">
        Each person follows the version running when they confirmed. A newer version runs only once an admin publishes it; then everyone in flight moves
        onto it from where they are: a step added after their last email is sent to them, a removed step is not, a changed delay counts from their last
        email, and nobody gets a step twice. To roll back, an admin publishes an earlier version again: it runs under a new number, by the same rules, and
        shows what it would change before it is published.
      </p>
      {overview.unknown.length > 0 && (
        <p class="notice error" role="status">
          {overview.unknown.reduce((n, u) => n + u.count, 0)} people follow a version this server does not know (published by a newer release).
        </p>
      )}
      {overview.versions
        .slice()
        .reverse()
        .map((v) => {
          const effect = effects.find((e) => e.version === v.version);
          const published = publishedAt.get(v.version)?.plan === v.plan ? publishedAt.get(v.version) : undefined;
          return (
            <section class="card" aria-labelledby={`version-${v.version}`}>
              <h3 id={`version-${v.version}`}>
                Version {v.version}{' '}
                <span class="badge">{v.status === 'running' ? 'running' : v.status === 'earlier' ? 'earlier' : 'not published'}</span>
              </h3>
              <p>{v.summary}</p>
              {published && (
                <p class="muted">
                  Published {formatTime(published.publishedAt, zone)} ({zone}) by {published.publishedBy}.
                </p>
              )}
              <p>
                {v.people === 1 ? '1 person follows it' : `${v.people} people follow it`}
                {v.byStep.length > 0 && ': ' + v.byStep.map((b) => `${b.count} ${b.step === null ? 'with an email in flight' : `next get step ${b.step}`}`).join(', ')}.
              </p>
              {v.againAs !== null && token !== null && (
                <form method="post" action={`${base}/publish`}>
                  <CsrfInput token={token} />
                  <input type="hidden" name="version" value={String(v.version)} />
                  <input type="hidden" name="again" value="yes" />
                  <button type="submit">
                    Roll back: publish version {v.version} again as version {v.againAs}…
                  </button>
                </form>
              )}
              <details>
                <summary>Its {v.steps.length} steps</summary>
                <ol>
                  {v.steps.map((s) => (
                    <li>
                      Day {s.dayOffset}: step {s.step}, {s.subject}
                    </li>
                  ))}
                </ol>
              </details>
              {effect && (
                <>
                  <h4>If it were published now</h4>
                  <EffectSummary effect={effect} title={title} />
                  <EffectPeople effect={effect} title={title} />
                  {token !== null && (
                    <form method="post" action={`${base}/publish`}>
                      <CsrfInput token={token} />
                      <input type="hidden" name="version" value={String(v.version)} />
                      <button type="submit">Publish version {v.version}…</button>
                    </form>
                  )}
                </>
              )}
            </section>
          );
        })}
    </section>
  );
}

/** The preview summed: one sentence for everyone, then what happens to each step. */
export function EffectSummary({ effect, title }: { effect: VersionEffect; title: (step: number) => string }) {
  const lines = effect.steps.flatMap((s) => describeStep(s, title));
  return (
    <>
      <p>{describeEffect(effect)}</p>
      {lines.length > 0 && (
        <ul>
          {lines.map((l) => (
            <li>{l}</li>
          ))}
        </ul>
      )}
    </>
  );
}

const planned = (p: PlannedStep, zone: string) => `step ${p.step}, ${formatTime(p.at, zone)}`;

/** Each person the version changes, with their emails lost, gained and moved, in their own zone. */
export function EffectPeople({ effect, title, more }: { effect: VersionEffect; title: (step: number) => string; more?: string }) {
  if (effect.people.length === 0) return <></>;
  return (
    <details>
      <summary>
        The {effect.people.length === effect.changed ? '' : `first ${effect.people.length} of the `}
        {effect.changed === 1 ? 'person' : `${effect.changed} people`} it changes, one by one
      </summary>
      <div class="scroll" role="region" aria-label={`People version ${effect.version} changes`} tabindex={0}>
        <table>
          <thead>
            <tr>
              <th scope="col">Subscriber</th>
              <th scope="col">Time zone</th>
              <th scope="col">No longer gets</th>
              <th scope="col">Newly gets</th>
              <th scope="col">Moves (their time)</th>
            </tr>
          </thead>
          <tbody>
            {effect.people.map((p) => (
              <tr>
                <th scope="row">
                  <a href={`/staff/subscribers/${p.subscriberId}`}>#{p.subscriberId}</a>
                </th>
                <td>{p.timezone}</td>
                <td>{p.removed.map((r) => <div title={title(r.step)}>{planned(r, p.timezone)}</div>)}</td>
                <td>{p.added.map((a) => <div title={title(a.step)}>{planned(a, p.timezone)}</div>)}</td>
                <td>
                  {p.moved.map((m) => (
                    <div title={title(m.step)}>
                      step {m.step}: {formatTime(m.from, p.timezone)} → {formatTime(m.to, p.timezone)}
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {effect.nextAfter !== null && <p class="muted">{more ?? `The rest are listed by GET /api/sequence/versions/${effect.version}/preview.`}</p>}
    </details>
  );
}
