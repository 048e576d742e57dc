/**
 * `GET /api/me`: who the token says the caller is, their roles and what those allow (any valid
 * token). The web console uses it to show or hide actions.
 */
import { permissionsFor } from '../../shared/api/permissions.js';
import { apiRoute, json } from './http.js';

apiRoute('me', {
  methods: ['GET'],
  route: 'me',
  permission: null,
  handler: ({ principal }) =>
    Promise.resolve(
      json(200, {
        user: {
          id: principal.id,
          ...(principal.name === undefined ? {} : { name: principal.name }),
          ...(principal.username === undefined ? {} : { username: principal.username }),
        },
        roles: principal.roles,
        permissions: permissionsFor(principal.roles),
      }),
    ),
});
