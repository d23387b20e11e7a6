import type { Command } from 'commander';
import { CliError, EXIT } from '../cli-error.js';
import { commandContext } from '../context.js';
import { terminalPrompter } from '../prompt.js';

/** Columns of `-o table`. */
const TABLE = ['devEUI', 'ownerToken', 'rootKeysExposed', 'state', 'name', 'joinEUI', 'applicationId'];

/** The guide's fields first (devEUI, ownerToken, rootKeysExposed), then the rest as the server sent them. */
function guideOrder(view: Record<string, unknown>): Record<string, unknown> {
  const { devEUI, ownerToken, rootKeysExposed, ...rest } = view;
  return { devEUI, ...(ownerToken !== undefined ? { ownerToken } : {}), rootKeysExposed, ...rest };
}

const WARNING = (devEui: string) =>
  `Exporting the root keys of ${devEui} marks the device "rootKeysExposed" permanently: anyone holding the keys can `
  + 'impersonate it, and every owner will see that the keys left custody.';

/** `deed list`, `deed get` and `deed token`: the device maker's (and owner's) view of its devices. */
export function registerInventory(program: Command): void {
  program.command('list')
    .description('list your devices (a maker: its inventory; an owner: its claimed devices; an admin: all) as a JSON array')
    .option('--state <state>', 'only unclaimed, claimed, exposed (root keys exported) or keys_missing devices')
    .option('--search <text>', 'only devices whose DevEUI starts with, or whose name contains, this text')
    .option('--limit <n>', 'at most this many devices (default: all)')
    .option('--nonces', 'include each device\'s LoRaWAN nonces')
    .action(async (opts: { state?: string; search?: string; limit?: string; nonces?: boolean }, command: Command) => {
      const ctx = commandContext(command);
      let max = Number.POSITIVE_INFINITY;
      if (opts.limit !== undefined) {
        max = /^\d+$/.test(opts.limit) ? Number(opts.limit) : Number.NaN;
        if (!Number.isSafeInteger(max) || max < 1) throw new CliError(`--limit: expected a positive integer, got "${opts.limit}"`, EXIT.usage);
      }
      const devices: Record<string, unknown>[] = [];
      let after: string | null = null;
      do {
        const q = new URLSearchParams({ limit: String(Math.min(1000, max - devices.length)) });
        if (after !== null) q.set('after', after);
        if (opts.state !== undefined) q.set('state', opts.state);
        if (opts.search !== undefined) q.set('search', opts.search);
        if (opts.nonces === true) q.set('nonces', 'true');
        const page: { devices: Record<string, unknown>[]; next: string | null } = await ctx.api.request('GET', `/api/v1/devices?${q.toString()}`);
        devices.push(...page.devices.map(guideOrder));
        after = page.next;
      } while (after !== null && devices.length < max);
      ctx.print(devices, TABLE);
    });

  program.command('get')
    .description('show one of your devices as JSON; with --root-keys, export its root keys (marks it rootKeysExposed, forever)')
    .argument('<dev-eui>', 'DevEUI, 16 hex digits')
    .option('--nonces', 'include nextJoinNonce, usedDevNonces and the last DevNonce')
    .option('--root-keys', 'export the root keys (AppKey, NwkKey): permanent, recorded in the audit log; asks for confirmation on a terminal')
    .option('-y, --yes', 'export without asking')
    .action(async (devEui: string, opts: { nonces?: boolean; rootKeys?: boolean; yes?: boolean }, command: Command) => {
      const ctx = commandContext(command);
      const path = `/api/v1/devices/${encodeURIComponent(devEui)}`;
      const query = opts.nonces === true ? '?nonces=true' : '';
      if (opts.rootKeys !== true) {
        ctx.print(guideOrder(await ctx.api.request('GET', `${path}${query}`)), TABLE);
        return;
      }
      const shown = devEui.toUpperCase();
      if (opts.yes !== true) {
        // Make sure the device is there (and ours) before asking.
        const device: Record<string, unknown> = await ctx.api.request('GET', path);
        const already = device['rootKeysExposed'] === true ? ' (They were already exported before.)' : '';
        process.stderr.write(`Warning: ${WARNING(shown)}${already}\n`);
        if (process.stdin.isTTY === true) {
          const prompter = terminalPrompter();
          try {
            if (!(await prompter.confirm(`Export the root keys of ${shown}?`, false))) {
              throw new CliError('root keys not exported (answer "y" to export them, or pass --yes)', EXIT.usage);
            }
          } finally {
            prompter.close();
          }
        }
      }
      ctx.print(guideOrder(await ctx.api.request('POST', `${path}/root-keys${query}`)), TABLE);
    });

  program.command('token')
    .description('show, set or regenerate a device\'s owner token (claim authentication code) and its validity window')
    .argument('<dev-eui>', 'DevEUI, 16 hex digits')
    .option('--set <token>', 'use this token (1-64 printable characters, no spaces or ":")')
    .option('--regenerate', 'replace the token with a new random one (the printed code stops working)')
    .option('--valid-from <time>', 'the token works from this time on (ISO 8601, e.g. 2027-01-01T00:00:00Z; "" clears it)')
    .option('--valid-to <time>', 'the token works until this time (ISO 8601; "" clears it)')
    .action(async (devEui: string, opts: { set?: string; regenerate?: boolean; validFrom?: string; validTo?: string }, command: Command) => {
      const ctx = commandContext(command);
      const path = `/api/v1/devices/${encodeURIComponent(devEui)}`;
      if (opts.set !== undefined && opts.regenerate === true) throw new CliError('give --set or --regenerate, not both', EXIT.usage);
      const body = {
        ...(opts.set !== undefined ? { ownerToken: opts.set } : {}),
        ...(opts.regenerate === true ? { regenerate: true } : {}),
        ...(opts.validFrom !== undefined ? { validFrom: opts.validFrom === '' ? null : opts.validFrom } : {}),
        ...(opts.validTo !== undefined ? { validTo: opts.validTo === '' ? null : opts.validTo } : {}),
      };
      const view: Record<string, unknown> = Object.keys(body).length === 0
        ? await ctx.api.request('GET', path)
        : await ctx.api.request('PUT', `${path}/owner-token`, body);
      if (!('ownerToken' in view)) {
        throw new CliError(`the owner token of ${devEui.toUpperCase()} is not yours to see: a claimed device's token belongs to its holder`, EXIT.auth);
      }
      ctx.print({
        devEUI: view['devEUI'], ownerToken: view['ownerToken'],
        ownerTokenValidFrom: view['ownerTokenValidFrom'] ?? null, ownerTokenValidTo: view['ownerTokenValidTo'] ?? null,
      });
    });
}
