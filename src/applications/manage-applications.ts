import type { AccountRecord } from '../accounts/account.js';
import { Eui64, NetId } from '../lorawan/index.js';
import { ForbiddenError, InvalidInputError } from '../shared/errors.js';
import { parseField, parseIdentifier, present } from '../shared/validate.js';
import type { ApplicationRecord, ApplicationStore } from './application.js';

/** What the API and CLI show of an application. */
export interface ApplicationView {
  readonly id: string;
  readonly name: string | null;
  readonly homeNetId: string | null;
  readonly homeNsId: string | null;
  readonly asId: string | null;
  readonly asKekLabel: string | null;
  readonly createdAt: string;
}

export function toApplicationView(application: ApplicationRecord): ApplicationView {
  return {
    id: application.id,
    name: application.name,
    homeNetId: application.homeNetId,
    homeNsId: application.homeNsId,
    asId: application.asId,
    asKekLabel: application.asKekLabel,
    createdAt: application.createdAt.toISOString(),
  };
}

/** Application ids as The Things Stack writes them: 2-36 lower-case letters, digits and dashes, no leading/trailing dash. */
const APPLICATION_ID = /^[a-z0-9](?:[-]?[a-z0-9]){1,35}$/;

/** An application to create, as a transport received it. */
export interface AddApplicationInput {
  readonly id?: unknown;
  readonly name?: unknown;
  readonly homeNetId?: unknown;
  readonly homeNsId?: unknown;
  readonly asId?: unknown;
  readonly asKekLabel?: unknown;
}

/** Creates an application owned by `actor` (an owner; an admin may create one for itself too). */
export async function addApplication(deps: { applications: ApplicationStore }, actor: AccountRecord, input: AddApplicationInput): Promise<ApplicationView> {
  if (actor.role === 'provisioner') throw new ForbiddenError('applications belong to owners; a provisioner keeps devices in its inventory');
  if (typeof input.id !== 'string' || !APPLICATION_ID.test(input.id)) {
    throw new InvalidInputError('id: expected 2 to 36 lower-case letters, digits and single dashes, e.g. "greenhouse-sensors"', 'id');
  }
  const created = await deps.applications.create({
    id: input.id,
    ownerId: actor.id,
    name: present(input.name) ? parseIdentifier('name', input.name) : null,
    homeNetId: present(input.homeNetId) ? parseField('homeNetId', () => NetId.fromHex(input.homeNetId).toHex()) : null,
    homeNsId: present(input.homeNsId) ? parseField('homeNsId', () => Eui64.fromHex(input.homeNsId).toHex()) : null,
    asId: present(input.asId) ? parseIdentifier('asId', input.asId) : null,
    asKekLabel: present(input.asKekLabel) ? parseIdentifier('asKekLabel', input.asKekLabel) : null,
  });
  return toApplicationView(created);
}

/** The account's applications. */
export async function listApplications(deps: { applications: ApplicationStore }, actor: AccountRecord): Promise<ApplicationView[]> {
  return (await deps.applications.listByOwner(actor.id)).map(toApplicationView);
}
