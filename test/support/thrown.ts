import { LorawanError } from '../../src/lorawan/errors.js';

/** Runs `fn` and returns what it threw, which must be an instance of `type`; fails when it throws nothing. */
export function thrown<E extends Error>(type: abstract new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (e) {
    if (e instanceof type) return e;
    throw new Error(`expected a ${type.name}, got ${String(e)}`);
  }
  throw new Error(`expected a ${type.name}, got no error`);
}

/** Runs `fn` and returns the code of the LorawanError it throws (it must throw only those), or undefined. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof LorawanError) return e.code;
    throw new Error(`expected a LorawanError, got ${String(e)}`);
  }
  return undefined;
}

/** Awaits `promise` and returns its rejection, which must be an instance of `type`. */
export async function rejectedWith<E extends Error>(type: abstract new (...args: never[]) => E, promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof type) return e;
    throw new Error(`expected a ${type.name}, got ${String(e)}`);
  }
  throw new Error(`expected a ${type.name}, got no error`);
}
