import { ACCOUNT_NAME, ACCOUNT_NAME_HINT } from '../staff/accounts.js';
import { isRole, STAFF_ROLES, type StaffRole } from '../staff/roles.js';

export type StaffCommand =
  | { command: 'add'; name: string; role: StaffRole }
  | { command: 'list' }
  | { command: 'disable' | 'enable' | 'passwd'; name: string }
  | { command: 'role'; name: string; role: StaffRole };

export const STAFF_USAGE = `Usage: npm run staff -- add NAME --role ${STAFF_ROLES.join('|')} | list | disable NAME | enable NAME | passwd NAME | role NAME ${STAFF_ROLES.join('|')}`;

/** Arguments of `npm run staff`, or one line saying what is wrong. */
export function parseStaffArgs(argv: string[]): StaffCommand | { error: string } {
  const [command, ...rest] = argv;
  const name = (raw: string | undefined): string | { error: string } =>
    raw !== undefined && ACCOUNT_NAME.test(raw) ? raw : { error: `Invalid account name ${JSON.stringify(raw ?? '')}: ${ACCOUNT_NAME_HINT}. ${STAFF_USAGE}` };
  switch (command) {
    case 'list':
      return rest.length === 0 ? { command } : { error: `list takes no arguments. ${STAFF_USAGE}` };
    case 'disable':
    case 'enable':
    case 'passwd': {
      if (rest.length !== 1) return { error: `${command} takes one account name. ${STAFF_USAGE}` };
      const n = name(rest[0]);
      return typeof n === 'string' ? { command, name: n } : n;
    }
    case 'role': {
      if (rest.length !== 2) return { error: `role takes an account name and a role. ${STAFF_USAGE}` };
      const role = rest[1]!;
      if (!isRole(role)) return { error: `Invalid role ${JSON.stringify(role)}: one of ${STAFF_ROLES.join(', ')}.` };
      const n = name(rest[0]);
      return typeof n === 'string' ? { command, name: n, role } : n;
    }
    case 'add': {
      let role: string | undefined;
      const names: string[] = [];
      for (let i = 0; i < rest.length; i++) {
        const arg = rest[i]!;
        if (arg === '--role') role = rest[++i] ?? '';
        else if (arg.startsWith('--role=')) role = arg.slice(7);
        else if (arg.startsWith('-')) return { error: `Unknown option ${JSON.stringify(arg)}. ${STAFF_USAGE}` };
        else names.push(arg);
      }
      if (names.length !== 1) return { error: `add takes one account name. ${STAFF_USAGE}` };
      if (role === undefined) return { error: `add needs --role (${STAFF_ROLES.join(', ')}). ${STAFF_USAGE}` };
      if (!isRole(role)) return { error: `Invalid --role ${JSON.stringify(role)}: one of ${STAFF_ROLES.join(', ')}.` };
      const n = name(names[0]);
      return typeof n === 'string' ? { command, name: n, role } : n;
    }
    default:
      return { error: command === undefined ? STAFF_USAGE : `Unknown command ${JSON.stringify(command)}. ${STAFF_USAGE}` };
  }
}
