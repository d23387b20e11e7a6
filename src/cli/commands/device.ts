import { Command } from 'commander';
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

const TABLE = ['devEUI', 'joinEUI', 'macVersion', 'state', 'homeNetId', 'asId', 'rootKeysAvailable', 'rootKeysExposed'];

/** `deed device add|list|get|update|remove`. */
export function registerDevice(program: Command): void {
  const device = program.command('device').description('register and manage single devices and their activation settings (admins and makers; see also list, get, import)');

  device.command('add')
    .description('register a device with its root keys; prints the created device as JSON')
    .requiredOption('--dev-eui <eui>', 'DevEUI, 16 hex digits')
    .requiredOption('--join-eui <eui>', 'JoinEUI (AppEUI), 16 hex digits')
    .requiredOption('--app-key <key>', `AppKey, ${KEY_HELP}`)
    .option('--nwk-key <key>', `NwkKey (LoRaWAN 1.1, or 1.0.x devices with a separate NwkKey), ${KEY_HELP}`)
    .requiredOption('--mac-version <version>', 'LoRaWAN MAC version: 1.0, 1.0.1, 1.0.2, 1.0.3, 1.0.4 or 1.1')
    .option('--home-net-id <netid>', 'NetID of the Network Server allowed to activate the device, 6 hex digits')
    .option('--home-ns-id <nsid>', 'NSID of that Network Server (Backend Interfaces 1.1), 16 hex digits')
    .option('--as-id <id>', 'AS-ID of the Application Server that receives the AppSKey')
    .option('--resets-join-nonces', 'the device resets its DevNonce (non-compliant): skip DevNonce replay checks')
    .action(async (opts: DeviceOptions, command: Command) => {
      const ctx = commandContext(command);
      const body = {
        devEui: opts.devEui, joinEui: opts.joinEui, macVersion: opts.macVersion,
        appKey: readSecretOption(opts.appKey, '--app-key'),
        ...(opts.nwkKey !== undefined ? { nwkKey: readSecretOption(opts.nwkKey, '--nwk-key') } : {}),
        ...activation(opts),
      };
      ctx.print(await ctx.api.request('POST', '/api/v1/devices', body));
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
