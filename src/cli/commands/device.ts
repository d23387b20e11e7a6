import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { CliError, EXIT } from '../cli-error.js';
import { commandContext } from '../context.js';
import { readSecretOption } from '../secret-input.js';

const KEY_HELP = 'hex; or @file to read it from a file, or - to read it from standard input';

interface DeviceOptions {
  devEui?: string; joinEui?: string; appKey?: string; nwkKey?: string; macVersion?: string;
  homeNetId?: string; homeNsId?: string; asId?: string; resetsJoinNonces?: boolean;
}

function activation(opts: DeviceOptions): Record<string, unknown> {
  return {
    ...(opts.homeNetId !== undefined ? { homeNetId: opts.homeNetId === '' ? null : opts.homeNetId } : {}),
    ...(opts.homeNsId !== undefined ? { homeNsId: opts.homeNsId === '' ? null : opts.homeNsId } : {}),
    ...(opts.asId !== undefined ? { asId: opts.asId === '' ? null : opts.asId } : {}),
    ...(opts.resetsJoinNonces !== undefined ? { resetsJoinNonces: opts.resetsJoinNonces } : {}),
  };
}

/** Rows of an IP-device CSV: a `name` column, optionally `claiming_allowed` (true/false). */
function readNamesFile(path: string): { name: string; claimingAllowed?: boolean }[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
  }
  const first = text.split(/\r?\n/, 1)[0] ?? '';
  const delimiter = first.includes(';') && !first.includes(',') ? ';' : ',';
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), delimiter, skip_empty_lines: true, trim: true, relax_column_count: true });
  } catch (err) {
    throw new CliError(`${path} is not valid CSV (${(err as Error).message.split('\n')[0]})`, EXIT.usage);
  }
  if (records.length > 0 && !('name' in (records[0] ?? {}))) throw new CliError(`${path} has no "name" column`, EXIT.usage);
  return records.map((r) => ({
    name: r['name'] ?? '',
    ...(r['claiming_allowed'] === 'true' ? { claimingAllowed: true } : r['claiming_allowed'] === 'false' ? { claimingAllowed: false } : {}),
  }));
}

const TABLE = ['devEUI', 'joinEUI', 'macVersion', 'state', 'homeNetId', 'asId', 'rootKeysAvailable', 'rootKeysExposed'];

/** `deed device add|list|get|update|remove`. */
export function registerDevice(program: Command): void {
  const device = program.command('device').description('register and manage single devices and their activation settings (admins and makers; see also list, get, import)');

  device.command('add')
    .description('register a LoRaWAN device with its root keys (--dev-eui …), or an IP device that opens its own claim windows (--name only); prints the device as JSON')
    .option('--dev-eui <eui>', 'DevEUI, 16 hex digits (a LoRaWAN device)')
    .option('--join-eui <eui>', 'JoinEUI (AppEUI), 16 hex digits')
    .option('--app-key <key>', `AppKey, ${KEY_HELP}`)
    .option('--nwk-key <key>', `NwkKey (LoRaWAN 1.1, or 1.0.x devices with a separate NwkKey), ${KEY_HELP}`)
    .option('--mac-version <version>', 'LoRaWAN MAC version: 1.0, 1.0.1, 1.0.2, 1.0.3, 1.0.4 or 1.1')
    .option('--home-net-id <netid>', 'NetID of the Network Server allowed to activate the device, 6 hex digits')
    .option('--home-ns-id <nsid>', 'NSID of that Network Server (Backend Interfaces 1.1), 16 hex digits')
    .option('--as-id <id>', 'AS-ID of the Application Server that receives the AppSKey')
    .option('--resets-join-nonces', 'the device resets its DevNonce (non-compliant): skip DevNonce replay checks')
    .option('--name <name>', 'a name; without --dev-eui: an IP device (unique name in your inventory) whose access token is printed once')
    .option('--names-file <file>', 'IP devices in bulk: a CSV with a name column (and optionally claiming_allowed); one result per row')
    .option('--claiming-allowed', 'an IP device that may open claim windows even when DEED_CLAIM_ALLOW_BY_DEFAULT is false')
    .addHelpText('after', `
Examples:
  deed device add --dev-eui 0004A310001FF9DA --join-eui 70B3D57ED0000000 --app-key @device.key --mac-version 1.0.3
  deed device add --name thermostat-7          # → {"id": …, "name": "thermostat-7", "accessToken": "dt_…"} (shown once)`)
    .action(async (opts: DeviceOptions & { name?: string; namesFile?: string; claimingAllowed?: boolean }, command: Command) => {
      const ctx = commandContext(command);
      if (opts.devEui === undefined) {
        if (opts.namesFile !== undefined) {
          const rows = readNamesFile(opts.namesFile);
          const answer = await ctx.api.request<{ results: { ok: boolean }[] }>('POST', '/api/v1/ip-devices/bulk', { rows });
          ctx.print(answer.results);
          const failed = answer.results.filter((r) => !r.ok).length;
          if (failed > 0) throw new CliError(`${failed} of ${answer.results.length} rows failed; see their index and message above`, EXIT.failed);
          return;
        }
        if (opts.name === undefined) throw new CliError('give --dev-eui (a LoRaWAN device) or --name (an IP device)', EXIT.usage);
        ctx.print(await ctx.api.request('POST', '/api/v1/ip-devices', { name: opts.name, ...(opts.claimingAllowed === true ? { claimingAllowed: true } : {}) }));
        return;
      }
      for (const [value, flag] of [[opts.joinEui, '--join-eui'], [opts.appKey, '--app-key'], [opts.macVersion, '--mac-version']] as const) {
        if (value === undefined) throw new CliError(`a LoRaWAN device needs ${flag}`, EXIT.usage);
      }
      const body = {
        devEui: opts.devEui, joinEui: opts.joinEui, macVersion: opts.macVersion,
        appKey: readSecretOption(opts.appKey, '--app-key'),
        ...(opts.nwkKey !== undefined ? { nwkKey: readSecretOption(opts.nwkKey, '--nwk-key') } : {}),
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        ...activation(opts),
      };
      ctx.print(await ctx.api.request('POST', '/api/v1/devices', body));
    });

  device.command('rotate-token')
    .description('give an IP device a new access token (printed once); the old one stops working')
    .argument('<id>', 'the IP device id')
    .action(async (id: string, _opts: unknown, command: Command) => {
      const ctx = commandContext(command);
      ctx.print(await ctx.api.request('POST', `/api/v1/ip-devices/${encodeURIComponent(id)}/access-token`));
    });

  device.command('list-ip')
    .description('list your IP devices by name')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = commandContext(command);
      ctx.print(await ctx.api.request('GET', '/api/v1/ip-devices'), ['id', 'name', 'state', 'applicationId', 'gatewayId', 'claimingAllowed', 'createdAt']);
    });

  device.command('list')
    .description('list devices, ordered by DevEUI')
    .option('--limit <n>', 'devices per page (1-1000)', '100')
    .option('--after <eui>', 'start after this DevEUI (the "next" cursor of the previous page)')
    .action(async (opts: { limit: string; after?: string }, command: Command) => {
      const ctx = commandContext(command);
      const q = new URLSearchParams({ limit: opts.limit, ...(opts.after !== undefined ? { after: opts.after } : {}) });
      const page = await ctx.api.request<{ devices: unknown[]; next: string | null }>('GET', `/api/v1/devices?${q.toString()}`);
      if (ctx.format === 'table') ctx.print(page.devices, TABLE);
      else ctx.print(page);
    });

  device.command('get')
    .description('show a device: identity, activation settings, nonces (never its keys)')
    .argument('<dev-eui>', 'DevEUI')
    .action(async (devEui: string, _opts: unknown, command: Command) => {
      const ctx = commandContext(command);
      ctx.print(await ctx.api.request('GET', `/api/v1/devices/${encodeURIComponent(devEui)}`), TABLE);
    });

  device.command('update')
    .description('change activation settings (an empty value clears one)')
    .argument('<dev-eui>', 'DevEUI')
    .option('--home-net-id <netid>', 'NetID of the Network Server allowed to activate the device')
    .option('--home-ns-id <nsid>', 'NSID of that Network Server')
    .option('--as-id <id>', 'AS-ID of the Application Server')
    .option('--resets-join-nonces', 'skip DevNonce replay checks for this device')
    .option('--no-resets-join-nonces', 'enforce DevNonce replay checks again')
    .option('--mac-version <version>', 'LoRaWAN MAC version')
    .action(async (devEui: string, opts: DeviceOptions, command: Command) => {
      const ctx = commandContext(command);
      const body = { ...activation(opts), ...(opts.macVersion !== undefined ? { macVersion: opts.macVersion } : {}) };
      ctx.print(await ctx.api.request('PATCH', `/api/v1/devices/${encodeURIComponent(devEui)}`, body), TABLE);
    });

  device.command('remove')
    .description('delete a device, its root keys and its sessions')
    .argument('<dev-eui>', 'DevEUI')
    .action(async (devEui: string, _opts: unknown, command: Command) => {
      const ctx = commandContext(command);
      await ctx.api.request('DELETE', `/api/v1/devices/${encodeURIComponent(devEui)}`);
      ctx.print({ removed: devEui.toUpperCase() });
    });
}
