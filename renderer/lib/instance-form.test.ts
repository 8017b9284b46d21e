import { describe, expect, it } from 'vitest';
import { Instance, InstanceSpec, type Instance as InstanceT } from '../../core/rpc/schemas/instance';
import { EMPTY_META } from '../../core/rpc/schemas/tunnel';
import { createInputFromForm, formFromInstance, newInstanceForm, specFromForm, updateInputFromForm } from './instance-form';

function instance(spec: unknown, extra: Partial<InstanceT> = {}): InstanceT {
  return Instance.parse({
    id: 'i1', name: 'One', autoStart: true, spec: InstanceSpec.parse(spec), state: 'running', error: null,
    address: null, startedAt: null, meta: EMPTY_META, tunnel: null, createdAt: 1, updatedAt: 1, ...extra,
  });
}

describe('specFromForm', () => {
  it('builds a mixed spec the schema accepts, dropping blank user rows', () => {
    const form = { ...newInstanceForm('mixed'), name: ' P ', listen: '127.0.0.1:0', udp: false,
      users: [{ username: 'a', password: 'b' }, { username: ' ', password: 'x' }] };
    const spec = specFromForm(form);
    expect(InstanceSpec.parse(spec)).toEqual(spec);
    expect(spec).toMatchObject({ type: 'mixed', listen: '127.0.0.1:0', udp: false, users: [{ username: 'a', password: 'b' }] });
    expect(createInputFromForm(form)).toMatchObject({ name: 'P', start: true, autoStart: true });
  });

  it('builds vless specs for each TLS mode and transport', () => {
    const base = { ...newInstanceForm('vless'), listen: '127.0.0.1:0' };
    expect(specFromForm(base)).toMatchObject({ type: 'vless', tls: null, transport: { type: 'tcp' }, fallback: 'monitor' });
    const ws = specFromForm({ ...base, transport: 'ws', wsPath: '/ray', tls: 'self-signed', selfSignedNames: 'a.test, b.test' });
    expect(ws).toMatchObject({ transport: { type: 'ws', path: '/ray' }, tls: { selfSignedNames: ['a.test', 'b.test'], alpn: [] } });
    expect(InstanceSpec.parse(ws)).toEqual(ws);
    const files = specFromForm({ ...base, tls: 'files', certFile: '/c.pem', keyFile: '/k.pem' });
    expect(files).toMatchObject({ tls: { certFile: '/c.pem', keyFile: '/k.pem' } });
    expect(InstanceSpec.parse(files)).toEqual(files);
  });

  it('trims a nodepass URL', () => {
    expect(specFromForm({ ...newInstanceForm('nodepass'), url: ' client://127.0.0.1:1/127.0.0.1:2 ' }))
      .toEqual({ type: 'nodepass', url: 'client://127.0.0.1:1/127.0.0.1:2' });
  });
});

describe('formFromInstance / updateInputFromForm', () => {
  const relay = instance({
    type: 'vless', listen: '0.0.0.0:8443', transport: { type: 'ws', path: '/x' },
    tls: { selfSignedNames: ['r.test'], alpn: ['h2'] }, idleTimeoutMs: 5000,
    users: [{ name: 'alice', uuid: '11111111-2222-3333-4444-555555555555' }],
  });

  it('round-trips a relay without loss and reports no change', () => {
    const form = formFromInstance(relay);
    expect(form).toMatchObject({ type: 'vless', transport: 'ws', wsPath: '/x', tls: 'self-signed', selfSignedNames: 'r.test' });
    expect(specFromForm(form, relay.spec)).toEqual(relay.spec);
    expect(updateInputFromForm(relay, form)).toBeNull();
  });

  it('sends only the name when only the name changed', () => {
    expect(updateInputFromForm(relay, { ...formFromInstance(relay), name: 'Renamed' })).toEqual({ id: 'i1', name: 'Renamed' });
  });

  it('keeps users, timeouts and ALPN the form does not show when the spec changes', () => {
    const input = updateInputFromForm(relay, { ...formFromInstance(relay), udp: false, tls: 'off' });
    expect(input?.spec).toMatchObject({ udp: false, tls: null, idleTimeoutMs: 5000, users: [{ name: 'alice' }] });
    const withTls = updateInputFromForm(relay, { ...formFromInstance(relay), selfSignedNames: 'new.test' });
    expect(withTls?.spec).toMatchObject({ tls: { selfSignedNames: ['new.test'], alpn: ['h2'] } });
  });

  it('edits mixed users and auto-start', () => {
    const mixed = instance({ type: 'mixed', listen: '127.0.0.1:0', users: [{ username: 'u', password: 'p' }] }, { autoStart: false });
    const form = formFromInstance(mixed);
    expect(form.users).toEqual([{ username: 'u', password: 'p' }]);
    form.users[0].password = 'q';
    form.autoStart = true;
    const input = updateInputFromForm(mixed, form);
    expect(input).toMatchObject({ autoStart: true, spec: { users: [{ username: 'u', password: 'q' }] } });
    expect((mixed.spec as { users: { password: string }[] }).users[0].password).toBe('p');
  });
});
