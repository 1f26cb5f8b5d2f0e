// `npm run staff -- add NAME --role ROLE | list | disable NAME | enable NAME |
// passwd NAME | role NAME ROLE`: staff accounts on the configured database. A
// new password is generated, printed once here and stored only as a hash.
// Logs go to stderr.
import pino from 'pino';
import { boot } from '../boot.js';
import { addAccount, changePassword, CLI_ACTOR, setAccountDisabled, setAccountRole } from '../staff/accounts.js';
import { parseStaffArgs } from './staff-args.js';

const args = parseStaffArgs(process.argv.slice(2));
if ('error' in args) {
  console.error(args.error);
  process.exit(2);
}
const runtime = await boot({ logDestination: pino.destination(2) });
const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString().slice(0, 16).replace('T', ' '));
let code = 0;
let out = '';
switch (args.command) {
  case 'add': {
    const r = await addAccount(runtime, args.name, args.role, CLI_ACTOR);
    if (r.ok) out = `Added ${args.name} (${args.role}). Password, shown only now: ${r.password}\n`;
    else {
      console.error(`An account named ${args.name} exists already; choose another name.`);
      code = 1;
    }
    break;
  }
  case 'list': {
    const accounts = await runtime.stores.staff.accounts();
    out = accounts.map((a) => [a.name.padEnd(20), a.role.padEnd(7), a.disabledAt === null ? 'enabled' : `disabled ${iso(a.disabledAt)} UTC`].join('  ').trimEnd() + '\n').join('');
    break;
  }
  case 'disable':
  case 'enable': {
    const r = await setAccountDisabled(runtime, args.name, args.command === 'disable', CLI_ACTOR);
    if (r.ok) {
      out = args.command === 'disable' ? `Disabled ${args.name}; its sessions have ended.\n` : `Enabled ${args.name}.\n`;
    } else {
      console.error(
        r.reason === 'not_found' ? `There is no account named ${args.name}.` : `${args.name} is the last enabled admin: make another account admin first (npm run staff -- role NAME admin).`,
      );
      code = 1;
    }
    break;
  }
  case 'passwd': {
    const r = await changePassword(runtime, args.name, CLI_ACTOR);
    if (r.ok) out = `New password for ${args.name}, shown only now: ${r.password}\nIts sessions have ended.\n`;
    else {
      console.error(`There is no account named ${args.name}.`);
      code = 1;
    }
    break;
  }
  case 'role': {
    const r = await setAccountRole(runtime, args.name, args.role, CLI_ACTOR);
    if (r.ok) out = `${args.name} is now ${args.role} (was ${r.from}).\n`;
    else {
      console.error(
        r.reason === 'not_found' ? `There is no account named ${args.name}.` : `${args.name} is the last enabled admin: make another account admin first (npm run staff -- role NAME admin).`,
      );
      code = 1;
    }
    break;
  }
}
await runtime.stores.close();
process.stdout.write(out, () => process.exit(code));
