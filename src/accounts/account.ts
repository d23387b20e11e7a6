/** Roles, from the architecture note. */
export type Role = 'admin' | 'provisioner' | 'owner';

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
  list(): Promise<AccountRecord[]>;
  count(): Promise<number>;
  setDisabled(username: string, disabled: boolean): Promise<boolean>;
}
