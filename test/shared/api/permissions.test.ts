import { describe, expect, it } from 'vitest';
import {
  allows,
  isRole,
  permissionsFor,
  PERMISSIONS,
  ROLE_PERMISSIONS,
  ROLES,
} from '../../../shared/api/permissions.js';

describe('role → permission matrix', () => {
  it('gives every role the reads, and each write to exactly the roles that may', () => {
    const holders = (p: (typeof PERMISSIONS)[number]): string[] => ROLES.filter((r) => allows([r], p));
    for (const p of ['flows.read', 'numbers.read', 'calls.read', 'metrics.read'] as const)
      expect(holders(p)).toEqual([...ROLES]);
    expect(holders('flows.edit')).toEqual(['FlowEditor', 'FlowPublisher']);
    expect(holders('flows.publish')).toEqual(['FlowPublisher']);
    expect(holders('numbers.write')).toEqual(['FlowPublisher']);
    expect(holders('calls.terminate')).toEqual(['Operator']);
  });

  it('unions several roles and ignores unknown or differently cased names', () => {
    expect(permissionsFor(['FlowEditor', 'Operator'])).toEqual([
      'flows.read',
      'numbers.read',
      'calls.read',
      'metrics.read',
      'flows.edit',
      'calls.terminate',
    ]);
    expect(permissionsFor(['Admin', 'reader'])).toEqual([]);
    expect(allows([], 'flows.read')).toBe(false);
    expect(isRole('Operator')).toBe(true);
    expect(isRole('operator')).toBe(false);
    for (const r of ROLES)
      expect(permissionsFor([r])).toEqual(PERMISSIONS.filter((p) => ROLE_PERMISSIONS[r].includes(p)));
  });
});
