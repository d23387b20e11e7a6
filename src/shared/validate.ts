import { LorawanError } from '../lorawan/index.js';
import { InvalidInputError } from './errors.js';

/** Runs a lorawan parser and turns its error into an InvalidInputError naming `field`. */
export function parseField<T>(field: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof LorawanError) throw new InvalidInputError(`${field}: ${err.message}`, field);
    throw err;
  }
}

/** A short printable identifier (AS-ID, KEK label): 1..255 characters, no control characters. */
export function parseIdentifier(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 255 || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new InvalidInputError(`${field}: expected 1 to 255 printable characters`, field);
  }
  return value;
}

/** A value the caller gave: not undefined, null or the empty string. */
export const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

/** An integer from `min` to `max`, given as a number or a string of digits (query strings). */
export function parseInteger(field: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new InvalidInputError(`${field}: expected an integer from ${min} to ${max}`, field);
  }
  return n;
}

/** A plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
