/**
 * An application: the unit of ownership. An owner account claims devices into one of its
 * applications; the application's activation defaults (home NetID, NSID, AS-ID, AS KEK label)
 * apply to devices claimed into it unless a claim gives its own.
 */
export interface ApplicationRecord {
  /** Chosen by the owner: 1 to 36 lower-case letters, digits and dashes (The Things Stack's ids). */
  readonly id: string;
  /** Account id of the owner. */
  readonly ownerId: string;
  readonly name: string | null;
  readonly homeNetId: string | null;
  readonly homeNsId: string | null;
  readonly asId: string | null;
  readonly asKekLabel: string | null;
  readonly createdAt: Date;
}

/** What creating an application needs. */
export type NewApplication = Omit<ApplicationRecord, 'createdAt'>;

/** Storage port for applications. */
export interface ApplicationStore {
  /** Throws AlreadyExistsError (`already_exists`) when the id is taken. */
  create(application: NewApplication): Promise<ApplicationRecord>;
  get(id: string): Promise<ApplicationRecord | null>;
  /** The owner's applications, ordered by id. */
  listByOwner(ownerId: string): Promise<ApplicationRecord[]>;
}
