/** `T` without `readonly`: for an object built property by property before it is handed on as `T`. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
