import { Command } from 'commander';
import { DEVICE_EVENT_TYPES } from '../../devices/device-event.js';
import { commandContext } from '../context.js';

const TABLE = ['id', 'url', 'events', 'disabled', 'owner', 'createdAt'];

/** `deed webhooks add|list|remove|disable|enable`: endpoints that receive your devices' events (docs/events.md). */
export function registerWebhooks(program: Command): void {
  const webhooks = program.command('webhooks')
    .description('register, list and remove webhooks that receive your devices\' events, signed (API keys need webhooks:write)');

  webhooks.command('add')
    .description('register a webhook; its signing secret (whsec_…) is printed this once')
    .requiredOption('--url <url>', 'where to POST events: an http:// or https:// URL')
    .option('--event <type...>', `event types to receive (space or comma separated): ${DEVICE_EVENT_TYPES.join(', ')} (default: all)`)
    .action(async (opts: { url: string; event?: string[] }, command: Command) => {
      const events = opts.event?.flatMap((e) => e.split(',')).map((e) => e.trim()).filter((e) => e !== '');
      const ctx = commandContext(command);
      const created = await ctx.api.request('POST', '/api/v1/webhooks', { url: opts.url, ...(events !== undefined ? { events } : {}) });
      ctx.print(created, ['id', 'url', 'events', 'secret']);
      if (process.stderr.isTTY === true) process.stderr.write('Store the secret now: it is not shown again. Verify each request\'s Deed-Signature with it.\n');
    });

  webhooks.command('list')
    .description('list your webhooks (an admin: everyone\'s); never their secrets')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = commandContext(command);
      ctx.print(await ctx.api.request('GET', '/api/v1/webhooks'), TABLE);
    });

  webhooks.command('remove')
    .description('remove a webhook and its pending deliveries')
    .argument('<id>', 'the webhook\'s id, from "deed webhooks list"')
    .action(async (id: string, _opts: unknown, command: Command) => {
      const ctx = commandContext(command);
      await ctx.api.request('DELETE', `/api/v1/webhooks/${encodeURIComponent(id)}`);
      ctx.print({ removed: id });
    });

  for (const action of ['disable', 'enable'] as const) {
    webhooks.command(action)
      .description(action === 'disable'
        ? 'disable a webhook: events that happen meanwhile are not delivered to it; pending deliveries wait'
        : 'enable a disabled webhook again')
      .argument('<id>', 'the webhook\'s id, from "deed webhooks list"')
      .action(async (id: string, _opts: unknown, command: Command) => {
        const ctx = commandContext(command);
        ctx.print(await ctx.api.request('POST', `/api/v1/webhooks/${encodeURIComponent(id)}/${action}`), TABLE);
      });
  }
}
