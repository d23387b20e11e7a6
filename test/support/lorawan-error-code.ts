import { expect } from 'vitest';
import { LorawanError } from '../../src/lorawan/errors.js';

/** Runs `fn` and returns the code of the LorawanError it throws (it must throw only those), or undefined. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LorawanError);
    return (e as LorawanError).code;
  }
  return undefined;
}
