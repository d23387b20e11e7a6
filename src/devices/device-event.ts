/**
 * Domain events a user can consume (webhooks): written to the outbox in the same transaction as
 * the change they describe, so a crash never loses one (docs/events.md).
 */
export const DEVICE_EVENT_TYPES = Object.freeze(['device.claimed', 'device.released', 'device.token_changed'] as const);

/** One of {@link DEVICE_EVENT_TYPES}. */
export type DeviceEventType = (typeof DEVICE_EVENT_TYPES)[number];

/** An event to write to the outbox. `data` is small, flat and never holds a secret. */
export interface NewDeviceEvent {
  readonly type: DeviceEventType;
  readonly devEui: string;
  /** The application concerned (the claiming one, the releasing one). */
  readonly applicationId: string | null;
  /** Account id of the owner concerned, whose webhooks receive the event. */
  readonly ownerId: string | null;
  readonly at: Date;
  readonly data: Readonly<Record<string, string | number | boolean | null>>;
}

/** An event as stored in the outbox, with its position. */
export interface DeviceEvent extends NewDeviceEvent {
  /** Increasing id: the delivery order. */
  readonly id: number;
}
