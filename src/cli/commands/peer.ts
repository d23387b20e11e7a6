import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { CliError, EXIT } from '../cli-error.js';
import { commandContext } from '../context.js';
import { readSecretOption } from '../secret-input.js';

interface PeerOptions { netId?: string; nsId?: string; asId?: string; token?: string; cert?: string; certFingerprint?: string; kekLabel?: string; kek?: string; application?: string }

/** SHA-256 fingerprint of a PEM certificate file. */
function fingerprintOf(path: string): string {
  try {
    return new X509Certificate(readFileSync(path)).fingerprint256.replace(/:/g, '');
  } catch (err) {
    throw new CliError(`--cert: cannot read a PEM certificate from ${path}: ${(err as Error).message}`, EXIT.usage);
  }
}

const TABLE = ['id', 'kind', 'netId', 'nsId', 'asId', 'applicationId', 'kekLabel', 'authentication'];

/** `deed peer add|list|get|remove`: Network and Application Servers that talk Backend Interfaces. */
export function registerPeer(program: Command): void {
  const peer = program.command('peer').description('manage Network Server and Application Server peers (admin)');

  peer.command('add')
    .description('register a Network Server (--net-id) or Application Server (--as-id); prints it as JSON. '
      + 'Without --token or --cert a token is generated and shown once.')
    .option('--net-id <netid>', 'NetID of a Network Server, 6 hex digits')
    .option('--ns-id <nsid>', 'NSID of the Network Server (Backend Interfaces 1.1), 16 hex digits')
    .option('--as-id <id>', 'AS-ID of an Application Server')
    .option('--token <token>', 'bearer token the peer will send (16+ characters); @file or - for stdin')
    .option('--cert <file>', 'the peer\'s TLS client certificate (PEM); its SHA-256 fingerprint is registered')
    .option('--cert-fingerprint <sha256>', 'SHA-256 fingerprint of the peer\'s client certificate')
    .option('--kek-label <label>', 'label of the key encryption key that wraps session keys for this peer')
    .option('--kek <key>', 'the KEK, 32/48/64 hex digits; @file or - for stdin')
    .option('--application <id>', 'with --as-id: a claim client (The Things Join Server claim API) whose claims land in this existing application')
    .action(async (opts: PeerOptions, command: Command) => {
      const ctx = commandContext(command);
      if (opts.cert !== undefined && opts.certFingerprint !== undefined) {
        throw new CliError('give --cert or --cert-fingerprint, not both', EXIT.usage);
      }
      const body = {
        ...(opts.netId !== undefined ? { netId: opts.netId } : {}),
        ...(opts.nsId !== undefined ? { nsId: opts.nsId } : {}),
        ...(opts.asId !== undefined ? { asId: opts.asId } : {}),
        ...(opts.token !== undefined ? { token: readSecretOption(opts.token, '--token') } : {}),
        ...(opts.cert !== undefined ? { certFingerprint: fingerprintOf(opts.cert) } : {}),
        ...(opts.certFingerprint !== undefined ? { certFingerprint: opts.certFingerprint } : {}),
        ...(opts.kekLabel !== undefined ? { kekLabel: opts.kekLabel } : {}),
        ...(opts.kek !== undefined ? { kek: readSecretOption(opts.kek, '--kek') } : {}),
        ...(opts.application !== undefined ? { applicationId: opts.application } : {}),
      };
      ctx.print(await ctx.api.request('POST', '/api/v1/peers', body));
    });

  peer.command('list').description('list peers').action(async (_opts: unknown, command: Command) => {
    const ctx = commandContext(command);
    ctx.print(await ctx.api.request('GET', '/api/v1/peers'), TABLE);
  });

  peer.command('get').description('show a peer').argument('<id>', 'peer id: ns:<NetID>[:<NSID>] or as:<AS-ID>')
    .action(async (id: string, _opts: unknown, command: Command) => {
      const ctx = commandContext(command);
      ctx.print(await ctx.api.request('GET', `/api/v1/peers/${encodeURIComponent(id)}`), TABLE);
    });

  peer.command('remove').description('remove a peer').argument('<id>', 'peer id')
    .action(async (id: string, _opts: unknown, command: Command) => {
      const ctx = commandContext(command);
      await ctx.api.request('DELETE', `/api/v1/peers/${encodeURIComponent(id)}`);
      ctx.print({ removed: id });
    });
}
