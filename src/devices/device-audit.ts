import type { AccountRecord } from '../accounts/account.js';
import type { AuditLog } from '../audit/audit-event.js';
import { listAuditEvents, type AuditEventView, type AuditQueryInput } from '../audit/read-audit.js';
import { parseDevEui, resolveDevice, type DeviceAccessDeps } from './device-access.js';

/**
 * A device's audit trail for whoever may see the device: its maker and admins see all of it (an
 * admin also that of a removed device);
 * the owner holding it sees what happened since its claim (not earlier owners' business).
 */
export async function deviceAuditTrail(
  deps: DeviceAccessDeps & { readonly audit: Pick<AuditLog, 'list'> },
  actor: AccountRecord, devEuiInput: unknown, query: Omit<AuditQueryInput, 'devEui'>,
): Promise<{ events: AuditEventView[]; next: number | null }> {
  // An admin reads any device's trail, also of a device that was removed since.
  if (actor.role === 'admin') return listAuditEvents(deps, { ...query, devEui: parseDevEui(devEuiInput) });
  const { device, relation } = await resolveDevice(deps, actor, devEuiInput);
  const page = await listAuditEvents(deps, { ...query, devEui: device.devEui });
  if (relation !== 'holder' || device.claimedAt === null) return page;
  const since = device.claimedAt.getTime();
  return { events: page.events.filter((event) => Date.parse(event.at) >= since), next: page.next };
}
