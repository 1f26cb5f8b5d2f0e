/** The one shape of every JSON error. */
export type ErrorBody = { error: { code: string; message: string } };

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** What a zod failure found wrong, one `field: problem` per issue; `whole` names the input when the issue is about all of it. */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[], whole: string): string {
  return issues.map((i) => `${i.path.map(String).join('.') || whole}: ${i.message}`).join('; ');
}
