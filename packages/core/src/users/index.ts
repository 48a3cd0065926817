/**
 * Users: account records, the user store (accounts in the database and homes on disk, kept in
 * step) and sign-up requests.
 *
 * @example
 * ```ts
 * import { createUserStore, createSignupRequestStore, isAccessible } from '@migrid/core';
 * const users = createUserStore({ db, accounts: config.accounts, homeRoot: paths.userHome });
 * const user = await users.create({ fullName: 'Jane Doe', organization: 'UCPH', country: 'DK', email: 'jane@ku.dk' });
 * isAccessible(user, Date.now()); // true
 * ```
 * @packageDocumentation
 */
export { createUserStore, MAX_USER_LIST_LIMIT } from './user-store.js';
export type { UserStore, UserStoreOptions, UserListFilter, DeleteUserOptions, DeleteUserResult } from './user-store.js';
export { createSignupRequestStore, SIGNUP_STATUSES } from './signup-store.js';
export type { SignupRequest, SignupRequestStore, SignupRequestStoreOptions, SignupListFilter, SignupStatus } from './signup-store.js';
export { USER_STATUSES, USER_PROTOCOLS, DEFAULT_USER_SETTINGS, isUserStatus } from './user-record.js';
export type { IdentityFields, UserRecord, UserStatus, UserProtocol, UserSettings } from './user-record.js';
export type { CreateUserInput, EditUserChanges, IdentityInput, SignupInput } from './user-input.js';
export { ROLE_PATTERN, ALIAS_PATTERN, MAX_ROLES, MAX_ALIASES } from './user-input.js';
export { isAccessible } from './account-access.js';
export { generateUserId, isUserId, USER_ID_PATTERN, USER_ID_LENGTH } from './user-id.js';
export { HOME_SKELETON_DIRS, WELCOME_FILE, welcomeText } from './home-folder.js';
export type { WelcomeOptions } from './home-folder.js';
export { createPasswordResetStore, PASSWORD_RESET_TTL_MS } from './password-reset-store.js';
export type { PasswordResetStore, PasswordResetStoreOptions, IssuedPasswordReset } from './password-reset-store.js';
