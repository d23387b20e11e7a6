/** Roles, from the architecture note. */
export type Role = 'admin' | 'provisioner' | 'owner';

/** Every role, in the order documentation lists them. */
export const ROLES: readonly Role[] = Object.freeze(['admin', 'provisioner', 'owner'] as const);

/** True when `value` names a role. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export interface AccountRecord {
  readonly id: string;
  readonly username: string;
  /** scrypt hash in PHC-like form, see keyvault/password-hash.ts. */
  readonly passwordHash: string;
  readonly role: Role;
  readonly disabled: boolean;
  readonly createdAt: Date;
}

export type NewAccount = Omit<AccountRecord, 'createdAt' | 'disabled'> & { readonly disabled?: boolean };

/** Storage port for accounts. */
export interface AccountStore {
  /** Throws AlreadyExistsError (`already_exists`) when the username is taken. */
  create(account: NewAccount): Promise<AccountRecord>;
  getByUsername(username: string): Promise<AccountRecord | null>;
  getById(id: string): Promise<AccountRecord | null>;
  list(): Promise<AccountRecord[]>;
  count(): Promise<number>;
  setDisabled(username: string, disabled: boolean): Promise<boolean>;
  /** Replaces the password hash of the account with this id; false when there is none. */
  setPasswordHash(id: string, passwordHash: string): Promise<boolean>;
}
