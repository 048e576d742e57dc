import { describe, expect, it } from 'vitest';
import {
  compareRoutes,
  compileRoute,
  matchRoute,
  stripRoutePrefix,
} from '../../../local/functions-host/http-routes.js';

describe('route templates', () => {
  it('matches literals case-insensitively and extracts decoded parameters', () => {
    const r = compileRoute('calls/{callId}/participants/{pid}');
    expect(matchRoute(r, '/Calls/abc%20d/participants/7')).toEqual({ callId: 'abc d', pid: '7' });
    expect(matchRoute(r, '/calls/abc/participants')).toBeUndefined();
    expect(matchRoute(r, '/calls/abc/participants/7/extra')).toBeUndefined();
  });

  it('handles optional parameters, defaults and catch-all', () => {
    const opt = compileRoute('hello/{name?}');
    expect(matchRoute(opt, '/hello')).toEqual({});
    expect(matchRoute(opt, '/hello/bob')).toEqual({ name: 'bob' });
    expect(matchRoute(compileRoute('page/{n=1}'), '/page')).toEqual({ n: '1' });
    expect(matchRoute(compileRoute('files/{*path}'), '/files/a/b%2Fc/d')).toEqual({ path: 'a/b/c/d' });
    expect(matchRoute(compileRoute('files/{file}.{ext}'), '/files/report.pdf')).toEqual({
      file: 'report',
      ext: 'pdf',
    });
  });

  it('applies inline constraints', () => {
    const r = compileRoute('items/{id:int:min(1)}');
    expect(matchRoute(r, '/items/5')).toEqual({ id: '5' });
    expect(matchRoute(r, '/items/0')).toBeUndefined();
    expect(matchRoute(r, '/items/abc')).toBeUndefined();
    expect(matchRoute(compileRoute('x/{g:guid}'), '/x/0f8fad5b-d9cb-469f-a165-70867728950e')).toBeDefined();
    expect(matchRoute(compileRoute('x/{a:alpha}'), '/x/a1')).toBeUndefined();
    expect(matchRoute(compileRoute('x/{c:regex(^[a-z]{{2}}$)}'), '/x/abc')).toBeUndefined();
    expect(matchRoute(compileRoute('x/{c:regex(^[a-z]{{2}}$)}'), '/x/ab')).toEqual({ c: 'ab' });
    expect(matchRoute(compileRoute('x/{c:length(2)}'), '/x/ab')).toEqual({ c: 'ab' });
  });

  it('orders literal before constrained before plain before catch-all', () => {
    const routes = ['items/{*rest}', 'items/{id}', 'items/{id:int}', 'items/new']
      .map(compileRoute)
      .sort(compareRoutes);
    expect(routes.map((r) => r.template)).toEqual([
      'items/new',
      'items/{id:int}',
      'items/{id}',
      'items/{*rest}',
    ]);
  });

  it('rejects bad templates with HOST.INVALID_ROUTE', () => {
    expect(() => compileRoute('a/{id:nope}')).toThrow(
      expect.objectContaining({ code: 'HOST.INVALID_ROUTE' }),
    );
    expect(() => compileRoute('a/{*x}/b')).toThrow(expect.objectContaining({ code: 'HOST.INVALID_ROUTE' }));
    expect(() => compileRoute('a/{x}/{x}')).toThrow(expect.objectContaining({ code: 'HOST.INVALID_ROUTE' }));
  });

  it('strips the route prefix', () => {
    expect(stripRoutePrefix('/api/health', 'api')).toBe('/health');
    expect(stripRoutePrefix('/API', 'api')).toBe('/');
    expect(stripRoutePrefix('/apix/health', 'api')).toBeUndefined();
    expect(stripRoutePrefix('/health', '')).toBe('/health');
  });
});
