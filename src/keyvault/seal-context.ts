/**
 * Associated data that binds each sealed value to the row and field it belongs to, so a sealed
 * value copied into another row or column fails to open. Storage and use cases both use these.
 */
export const sealContext = {
  deviceKey: (devEui: string, field: 'appKey' | 'nwkKey'): string => `device:${devEui}:${field}`,
  ownerToken: (devEui: string): string => `device:${devEui}:ownerToken`,
  deviceAsKek: (devEui: string): string => `device:${devEui}:asKek`,
  claimSecret: (ipDeviceId: string): string => `ipdevice:${ipDeviceId}:claimSecret`,
  sessionKey: (
    devEui: string,
    sessionKeyId: string,
    field: 'nwkSKey' | 'fNwkSIntKey' | 'sNwkSIntKey' | 'nwkSEncKey' | 'appSKey',
  ): string => `session:${devEui}:${sessionKeyId}:${field}`,
  peerKek: (peerId: string): string => `peer:${peerId}:kek`,
  webhookSecret: (webhookId: string): string => `webhook:${webhookId}:secret`,
} as const;
