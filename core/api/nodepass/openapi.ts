import { z } from 'zod';
import { NP_COMPONENTS } from './schemas';

/**
 * `GET /openapi.json`: OpenAPI 3.1 generated from the route schemas in schemas.ts (zod →
 * JSON Schema), a superset of NodePass v1.14's document (same paths, methods, responses and
 * fields) plus the error body, the SSE frame, CORS preflight and the /docs assets.
 */
export function buildOpenApi(opts: { base: string; version: string }): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(NP_COMPONENTS)) registry.add(schema, { id });
  const generated = z.toJSONSchema(registry, { target: 'draft-2020-12', uri: (id) => `#/components/schemas/${id}` }).schemas;
  const schemas: Record<string, unknown> = {};
  for (const [id, s] of Object.entries(generated)) {
    const { $schema: _s, $id: _i, ...rest } = s as Record<string, unknown>;
    schemas[id] = rest;
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'NodePass API',
      description: 'API for managing NodePass server and client instances (RelayDesk, compatible with NodePass v1.14)',
      version: 'v1',
      'x-relaydesk-version': opts.version,
    },
    servers: [{ url: opts.base }],
    security: [{ ApiKeyAuth: [] }],
    paths: paths(),
    components: {
      securitySchemes: {
        ApiKeyAuth: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'API Key for authentication (the url of the ******** entry)' },
      },
      schemas,
    },
  };
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const err = (description: string) => ({ description, content: json(ref('Error')) });
const ok = (description: string, schema: unknown) => ({ description, content: json(schema) });
const body = (name: string) => ({ required: true, content: json(ref(name)) });
const secured = { security: [{ ApiKeyAuth: [] }] };
const E401 = err('Unauthorized: API key required / Unauthorized: Invalid API key');
const E405 = err('Method not allowed');
const preflight = { summary: 'CORS preflight (no API key needed)', security: [], responses: { 200: { description: 'Empty, with the CORS headers' } } };

function paths(): Record<string, unknown> {
  return {
    '/instances': {
      get: { summary: 'List all instances', ...secured, responses: { 200: ok('Success (the ******** API key entry first)', { type: 'array', items: ref('Instance') }), 401: E401, 405: E405 } },
      post: {
        summary: 'Create a new instance', ...secured, requestBody: body('CreateInstanceRequest'),
        responses: {
          201: ok('Created', ref('Instance')), 400: err('Invalid request body / Invalid URL format: … / Invalid URL scheme'), 401: E401, 405: E405,
          409: err('Instance ID already exists / Instance alias already in use'),
        },
      },
      options: preflight,
    },
    '/instances/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: { summary: 'Get instance details', ...secured, responses: { 200: ok('Success', ref('Instance')), 400: err('Instance ID required'), 401: E401, 404: err('Not found'), 405: E405 } },
      patch: {
        summary: 'Update instance (alias, action, restart policy, meta); on ******** {"action":"restart"} regenerates the API key', ...secured,
        requestBody: body('UpdateInstanceRequest'),
        responses: { 200: ok('Success', ref('Instance')), 400: err('Instance ID required or invalid input'), 401: E401, 404: err('Not found'), 405: E405, 409: err('Instance alias already in use') },
      },
      put: {
        summary: 'Update instance URL', ...secured, requestBody: body('PutInstanceRequest'),
        responses: {
          200: ok('Success', ref('Instance')), 400: err('Instance ID required or invalid input'), 401: E401, 403: err('Forbidden: API Key'),
          404: err('Not found'), 405: E405, 409: err('Instance URL conflict'),
        },
      },
      delete: {
        summary: 'Delete instance', ...secured,
        responses: { 204: { description: 'Deleted' }, 400: err('Instance ID required'), 401: E401, 403: err('Forbidden: API Key'), 404: err('Not found'), 405: E405 },
      },
      options: preflight,
    },
    '/events': {
      get: {
        summary: 'Subscribe to instance events', ...secured,
        responses: {
          200: { description: 'Success: "retry: 3000", then frames "event: instance" with data InstanceEvent', content: { 'text/event-stream': { schema: ref('InstanceEvent') } } },
          401: E401, 405: E405,
        },
      },
      options: preflight,
    },
    '/info': {
      get: { summary: 'Get master information', ...secured, responses: { 200: ok('Success', ref('MasterInfo')), 401: E401, 405: E405 } },
      post: {
        summary: 'Update master alias', ...secured, requestBody: body('UpdateMasterAliasRequest'),
        responses: { 200: ok('Success', ref('MasterInfo')), 400: err('Invalid request body / Master alias exceeds maximum length 256'), 401: E401, 405: E405 },
      },
      options: preflight,
    },
    '/tcping': {
      get: {
        summary: 'TCP connectivity test', ...secured,
        parameters: [{ name: 'target', in: 'query', required: true, schema: { type: 'string' }, description: 'Target address in format host:port' }],
        responses: { 200: ok('Success', ref('TCPingResult')), 400: err('Target address required'), 401: E401, 405: E405 },
      },
      options: preflight,
    },
    '/openapi.json': { get: { summary: 'Get OpenAPI specification', security: [], responses: { 200: { description: 'Success', content: { 'application/json': {} } } } } },
    '/docs': { get: { summary: 'Get Swagger UI', security: [], responses: { 200: { description: 'Success', content: { 'text/html': {} } } } } },
    '/docs/{asset}': {
      get: {
        summary: 'Swagger UI assets, served locally', security: [],
        parameters: [{ name: 'asset', in: 'path', required: true, schema: { type: 'string', enum: ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png'] } }],
        responses: { 200: { description: 'Success' }, 404: { description: 'Unknown asset' } },
      },
    },
  };
}
