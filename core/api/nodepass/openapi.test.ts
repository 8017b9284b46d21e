import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMaster, type MasterHarness } from '../../test/nodepass-api-harness';
import { DOCS_ASSETS, swaggerUiDir } from './docs';
import { buildOpenApi } from './openapi';

type Json = Record<string, any>;
const THEIRS: Json = JSON.parse(readFileSync('/work/shared/data/nodepass-v1.14.0-openapi.json', 'utf8'));
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Follows a local $ref within `doc`. */
function resolve(doc: Json, schema: Json | undefined): Json | undefined {
  let s = schema;
  for (let i = 0; s && s.$ref && i < 10; i++) s = s.$ref.split('/').slice(1).reduce((o: Json, k: string) => o?.[k], doc);
  return s;
}

/** Every property path of a schema ("meta.peer.sid", …), following refs, with its type where given. */
function fields(doc: Json, schema: Json | undefined, prefix = '', depth = 0): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  const s = resolve(doc, schema);
  if (!s || depth > 6) return out;
  if (s.items) for (const [k, v] of fields(doc, s.items, `${prefix}[]`, depth + 1)) out.set(k, v);
  for (const [name, sub] of Object.entries<Json>(s.properties ?? {})) {
    const r = resolve(doc, sub)!;
    const path = prefix ? `${prefix}.${name}` : name;
    const type = Array.isArray(r.type) ? r.type.find((t: string) => t !== 'null') : r.type;
    out.set(path, type);
    for (const [k, v] of fields(doc, r, path, depth + 1)) out.set(k, v);
  }
  return out;
}

function bodySchema(content: Json | undefined): Json | undefined {
  return content?.['application/json']?.schema;
}

describe('/openapi.json covers NodePass v1.14', () => {
  const ours = buildOpenApi({ base: '/api/v1', version: 'test' }) as Json;

  it('has every path, method, parameter, response code and schema field of theirs', () => {
    const missing: string[] = [];
    for (const [path, item] of Object.entries<Json>(THEIRS.paths)) {
      const mine = ours.paths[path];
      if (!mine) { missing.push(path); continue; }
      for (const p of item.parameters ?? []) {
        if (!(mine.parameters ?? []).some((q: Json) => q.name === p.name && q.in === p.in)) missing.push(`${path} param ${p.name}`);
      }
      for (const method of METHODS.filter((x) => item[x])) {
        const op = item[method];
        const myOp = mine[method];
        if (!myOp) { missing.push(`${method} ${path}`); continue; }
        for (const p of op.parameters ?? []) {
          if (!(myOp.parameters ?? []).some((q: Json) => q.name === p.name && q.in === p.in && q.required === p.required)) missing.push(`${method} ${path} param ${p.name}`);
        }
        if (op.requestBody && !myOp.requestBody) missing.push(`${method} ${path} requestBody`);
        for (const [k, v] of fields(THEIRS, bodySchema(op.requestBody?.content))) {
          const mineType = fields(ours, bodySchema(myOp.requestBody?.content));
          if (!mineType.has(k) || (v && mineType.get(k) !== v)) missing.push(`${method} ${path} request ${k}:${v}`);
        }
        for (const [code, res] of Object.entries<Json>(op.responses)) {
          const myRes = myOp.responses[code];
          if (!myRes) { missing.push(`${method} ${path} ${code}`); continue; }
          for (const type of Object.keys(res.content ?? {})) if (!myRes.content?.[type]) missing.push(`${method} ${path} ${code} ${type}`);
          const mine2 = fields(ours, bodySchema(myRes.content));
          for (const [k, v] of fields(THEIRS, bodySchema(res.content))) {
            if (!mine2.has(k) || (v && mine2.get(k) !== v)) missing.push(`${method} ${path} ${code} ${k}:${v}`);
          }
        }
      }
    }
    for (const [name, schema] of Object.entries<Json>(THEIRS.components.schemas)) {
      const mine = ours.components.schemas[name];
      if (!mine) { missing.push(`schema ${name}`); continue; }
      const f = fields(ours, mine);
      for (const [k, v] of fields(THEIRS, schema)) if (!f.has(k) || (v && f.get(k) !== v)) missing.push(`schema ${name}.${k}:${v}`);
      for (const r of schema.required ?? []) if (!(mine.required ?? []).includes(r)) missing.push(`schema ${name} required ${r}`);
    }
    const { description: _d, ...scheme } = THEIRS.components.securitySchemes.ApiKeyAuth;
    expect(ours.components.securitySchemes.ApiKeyAuth).toMatchObject(scheme);
    expect(missing).toEqual([]);
  });

  it('keeps their enums and formats', () => {
    const s = ours.components.schemas;
    expect(s.Instance.properties.type.enum).toEqual(expect.arrayContaining(['client', 'server']));
    expect(s.Instance.properties.status.enum).toEqual(expect.arrayContaining(['running', 'stopped', 'error']));
    expect(s.UpdateInstanceRequest.properties.action.enum).toEqual(['start', 'stop', 'restart', 'reset']);
    expect(s.MasterInfo.properties.mem_total.format).toBe('int64');
    expect(s.TCPingResult.properties.error.type).toEqual(['string', 'null']);
    expect(ours.openapi).toBe('3.1.1');
  });

  it('the walk notices a missing field (the check can fail)', () => {
    const broken = structuredClone(ours);
    delete broken.components.schemas.Peer.properties.sid;
    delete broken.components.schemas.PeerPatch.properties.sid;
    const f = fields(broken, broken.components.schemas.Instance);
    expect(f.has('meta.peer.sid')).toBe(false);
    expect(f.has('meta.peer.alias')).toBe(true);
  });
});

describe('/openapi.json and /docs over HTTP', () => {
  let m: MasterHarness;
  beforeAll(async () => { m = await startMaster(); });
  afterAll(async () => { await m.close(); });

  it('serves the spec with the server prefix, no key needed', async () => {
    const r = await m.req('GET', '/openapi.json', { key: null });
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json.servers).toEqual([{ url: '/api/v1' }]);
    expect(Object.keys(r.json.paths)).toEqual(expect.arrayContaining(Object.keys(THEIRS.paths)));
  });

  it('serves Swagger UI and its files from swagger-ui-dist, nothing from a CDN', async () => {
    const page = await m.req('GET', '/docs', { key: null });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html');
    expect(page.text).not.toMatch(/(src|href)="https?:/);
    expect(page.text).toContain('src="docs/swagger-ui-bundle.js"');
    expect(page.text).toContain('SwaggerUIBundle(');
    expect(page.text).not.toContain('</script><');
    for (const name of DOCS_ASSETS) {
      const r = await m.req('GET', `/docs/${name}`, { key: null });
      expect(r.status, name).toBe(200);
      expect(Buffer.byteLength(r.text) > 0).toBe(true);
    }
    const css = await m.req('GET', '/docs/swagger-ui.css', { key: null });
    expect(css.text).toBe(readFileSync(join(swaggerUiDir(), 'swagger-ui.css'), 'utf8'));
    expect((await m.req('GET', '/docs/package.json', { key: null })).status).toBe(404);
    expect((await m.req('GET', '/docs/..%2Fpackage.json', { key: null })).status).toBe(404);
  });
});
