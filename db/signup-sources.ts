import type { SignupSources } from './types.js';

/**
 * The class of one signup or confirmation row, as SQL both engines run;
 * `source` is the engine's expression for the signup's recorded source
 * (its detail's, else the subscriber row's: an erasure clears details).
 * A person's later row of a type is 'again'; a first signup of an import is
 * 'importConsent' when its confirmation was recorded at the same moment
 * (the import's own), else 'importInvited'.
 */
export function signupKindSql(source: string): string {
  return `CASE
      WHEN EXISTS (SELECT 1 FROM activity b WHERE b.subscriber_id = a.subscriber_id AND b.type = a.type AND (b.at < a.at OR (b.at = a.at AND b.id < a.id))) THEN 'again'
      WHEN a.type = 'confirmed' THEN 'first'
      WHEN COALESCE(${source}, s.source) = 'import' THEN
        CASE WHEN EXISTS (SELECT 1 FROM activity c WHERE c.subscriber_id = a.subscriber_id AND c.type = 'confirmed' AND c.at = a.at) THEN 'importConsent' ELSE 'importInvited' END
      ELSE 'form'
    END`;
}

/** The counts of the grouped rows (type, kind, n). */
export function signupSourcesOf(rows: readonly { type: string; kind: string; n: number | string }[]): SignupSources {
  const out: SignupSources = { form: 0, importConsent: 0, importInvited: 0, again: 0, confirmedAgain: 0 };
  for (const r of rows) {
    const n = Number(r.n);
    if (r.type === 'confirmed') {
      if (r.kind === 'again') out.confirmedAgain += n;
    } else if (r.kind === 'again' || r.kind === 'form' || r.kind === 'importConsent' || r.kind === 'importInvited') {
      out[r.kind] += n;
    }
  }
  return out;
}
