import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The team's shared fixtures (real Microchip signer certificates and manifest entries) live in
 * ../shared/fixtures beside the repository, on developer machines and on CI alike.
 */
export const SHARED_FIXTURES = join(fileURLToPath(new URL('../../..', import.meta.url)), 'shared/fixtures');
export const MICROCHIP_FIXTURES = join(SHARED_FIXTURES, 'microchip');

if (!existsSync(MICROCHIP_FIXTURES)) {
  throw new Error(`shared fixtures not found at ${MICROCHIP_FIXTURES}: clone the repository next to shared/`);
}
