import { describe, expect, it } from 'vitest';
import type { Sealed } from '../devices/device.js';
import { sealContext } from '../keyvault/seal-context.js';
import { openPeerKek } from './key-envelope.js';
import type { KeyVault, PeerRecord } from './ports.js';

function countingVault() {
  const opened: string[] = [];
  const vault: KeyVault = {
    seal: () => 'unused' as Sealed,
    open(sealed, context) {
      opened.push(`${sealed}|${context}`);
      return new Uint8Array(16).fill(sealed.length);
    },
  };
  return { vault, opened };
}

function peer(overrides: Partial<PeerRecord> = {}): PeerRecord {
  return {
    id: 'ns:000013', kind: 'ns', netId: '000013', nsId: null, asId: null, tokenHash: null, certFingerprint: null,
    kekLabel: 'kek-1', kek: 'sealed-kek' as Sealed, applicationId: null, createdAt: new Date(0), ...overrides,
  };
}

describe('openPeerKek', () => {
  it('opens a peer object\'s KEK once, with its own context, and reuses it', () => {
    const { vault, opened } = countingVault();
    const p = peer();
    const first = openPeerKek(p, vault);
    const second = openPeerKek(p, vault);
    expect(first).toEqual({ label: 'kek-1', key: new Uint8Array(16).fill(10) });
    expect(second).toBe(first);
    expect(opened).toEqual([`sealed-kek|${sealContext.peerKek('ns:000013')}`]);
  });

  it('opens again for another peer object or another vault', () => {
    const { vault, opened } = countingVault();
    openPeerKek(peer(), vault);
    openPeerKek(peer(), vault);
    openPeerKek(peer({ kek: 'other-kek' as Sealed }), vault);
    expect(opened).toHaveLength(3);
    const other = countingVault();
    const p = peer();
    openPeerKek(p, vault);
    openPeerKek(p, other.vault);
    expect(other.opened).toHaveLength(1);
  });

  it('returns null without a KEK and does not remember failures', () => {
    const { vault } = countingVault();
    expect(openPeerKek(peer({ kek: null }), vault)).toBeNull();
    let calls = 0;
    const failing: KeyVault = {
      seal: () => 'unused' as Sealed,
      open() {
        calls++;
        throw new Error('corrupt');
      },
    };
    const p = peer();
    expect(() => openPeerKek(p, failing)).toThrow('corrupt');
    expect(() => openPeerKek(p, failing)).toThrow('corrupt');
    expect(calls).toBe(2);
  });
});
