import { describe, expect, it } from 'vitest';
import type { Services } from '../../../shared/services.js';
import { activityHandler } from '../../../orchestrations/activities/register.js';

const ctx = { warn: (): void => undefined };

describe('activityHandler', () => {
  it('resolves services on every invocation and rebuilds the activity only when they change', async () => {
    const a = { name: 'a' } as unknown as Services;
    const b = { name: 'b' } as unknown as Services;
    let current = a;
    const builtWith: string[] = [];
    const handler = activityHandler<'keepAlive'>(
      (s) => {
        const name = (s as unknown as { name: string }).name;
        builtWith.push(name);
        return (input) => Promise.resolve({ ok: input.callId === name, gone: false });
      },
      () => Promise.resolve(current),
    );
    expect(await handler({ callId: 'a' }, ctx)).toEqual({ ok: true, gone: false });
    expect(await handler({ callId: 'a' }, ctx)).toEqual({ ok: true, gone: false });
    current = b;
    expect(await handler({ callId: 'b' }, ctx)).toEqual({ ok: true, gone: false });
    expect(builtWith).toEqual(['a', 'b']);
  });

  it('fails the invocation when the services cannot be built', async () => {
    const handler = activityHandler<'keepAlive'>(
      () => () => Promise.resolve({ ok: true, gone: false }),
      () => Promise.reject(new Error('APP.NO_STORE: no store configured')),
    );
    await expect(handler({ callId: 'x' }, ctx)).rejects.toThrow(/APP.NO_STORE/);
  });
});
