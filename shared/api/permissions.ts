/**
 * Role-based authorization of the HTTP API. Roles are the Entra ID app roles of the API's app
 * registration, carried in the access token's `roles` claim
 * (https://learn.microsoft.com/entra/identity-platform/howto-add-app-roles-in-apps); each grants a
 * set of permissions, and a user with several roles has the union.
 */

/** The app roles, as their `value` in the app registration (case-sensitive, as Entra issues them). */
export const ROLES = ['Reader', 'FlowEditor', 'FlowPublisher', 'Operator'] as const;
/** One of {@link ROLES}. */
export type Role = (typeof ROLES)[number];

/** What an endpoint requires. */
export const PERMISSIONS = [
  'flows.read',
  'numbers.read',
  'calls.read',
  'metrics.read',
  'flows.edit',
  'flows.publish',
  'numbers.write',
  'calls.terminate',
] as const;
/** One of {@link PERMISSIONS}. */
export type Permission = (typeof PERMISSIONS)[number];

const READ: readonly Permission[] = ['flows.read', 'numbers.read', 'calls.read', 'metrics.read'];

/**
 * The role → permission matrix. Reader reads everything; FlowEditor adds drafts, validation and
 * flow tests; FlowPublisher adds publish, rollback and number bindings; Operator adds terminating
 * calls. (functions/api/README.md shows the same table.)
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = Object.freeze({
  Reader: READ,
  FlowEditor: [...READ, 'flows.edit'],
  FlowPublisher: [...READ, 'flows.edit', 'flows.publish', 'numbers.write'],
  Operator: [...READ, 'calls.terminate'],
});

/** True when `value` names a known role (exact case). */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** The union of the permissions of `roles` (unknown role names grant nothing), in {@link PERMISSIONS} order. */
export function permissionsFor(roles: readonly string[]): Permission[] {
  const granted = new Set<Permission>();
  for (const r of roles) if (isRole(r)) for (const p of ROLE_PERMISSIONS[r]) granted.add(p);
  return PERMISSIONS.filter((p) => granted.has(p));
}

/** True when any of `roles` grants `permission`. */
export function allows(roles: readonly string[], permission: Permission): boolean {
  return roles.some((r) => isRole(r) && ROLE_PERMISSIONS[r].includes(permission));
}
