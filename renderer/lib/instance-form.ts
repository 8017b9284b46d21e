import type { CreateInstanceInput, Instance, InstanceSpec, InstanceType, UpdateInstanceInput, VlessInboundSpec } from '../../core/rpc/schemas/instance';

/** How a VLESS relay does TLS in the form: none, a generated self-signed certificate, or PEM files. */
export type TlsMode = 'off' | 'self-signed' | 'files';

/** The flat, editable model behind the instance form; only the fields of `type` are used. */
export interface InstanceForm {
  type: InstanceType;
  name: string;
  autoStart: boolean;
  /** mixed, vless: "host:port". */
  listen: string;
  /** mixed, vless. */
  udp: boolean;
  /** mixed: accounts (rows with an empty username are dropped). */
  users: { username: string; password: string }[];
  /** vless. */
  transport: 'tcp' | 'ws';
  wsPath: string;
  tls: TlsMode;
  certFile: string;
  keyFile: string;
  /** vless, self-signed: names separated by commas or spaces. */
  selfSignedNames: string;
  fallback: 'none' | 'monitor';
  /** nodepass: `server://…` or `client://…`. */
  url: string;
}

/** The listen address a new instance of `type` starts with (the schema defaults). */
export const DEFAULT_LISTEN: Record<Exclude<InstanceType, 'nodepass'>, string> = {
  mixed: '127.0.0.1:7890',
  vless: '0.0.0.0:8443',
};

/** An empty form for a new instance. */
export function newInstanceForm(type: InstanceType = 'mixed'): InstanceForm {
  return {
    type,
    name: '',
    autoStart: true,
    listen: type === 'nodepass' ? '' : DEFAULT_LISTEN[type],
    udp: true,
    users: [],
    transport: 'tcp',
    wsPath: '/',
    tls: 'off',
    certFile: '',
    keyFile: '',
    selfSignedNames: 'localhost',
    fallback: 'monitor',
    url: '',
  };
}

/** The form for editing `instance`. */
export function formFromInstance(instance: Instance): InstanceForm {
  const form = newInstanceForm(instance.spec.type);
  form.name = instance.name;
  form.autoStart = instance.autoStart;
  const spec = instance.spec;
  if (spec.type === 'nodepass') {
    form.url = spec.url;
    return form;
  }
  form.listen = spec.listen;
  form.udp = spec.udp;
  if (spec.type === 'mixed') {
    form.users = spec.users.map((u) => ({ ...u }));
    return form;
  }
  form.transport = spec.transport.type;
  if (spec.transport.type === 'ws') form.wsPath = spec.transport.path;
  form.fallback = spec.fallback;
  if (spec.tls) {
    form.tls = spec.tls.certFile !== undefined ? 'files' : 'self-signed';
    form.certFile = spec.tls.certFile ?? '';
    form.keyFile = spec.tls.keyFile ?? '';
    form.selfSignedNames = spec.tls.selfSignedNames.join(', ');
  }
  return form;
}

function splitNames(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

/**
 * The spec the form describes. Fields the form does not show (timeouts, relay users, ALPN) are
 * kept from `previous` when it is the same type, so an edit never drops them.
 */
export function specFromForm(form: InstanceForm, previous?: InstanceSpec): InstanceSpec {
  if (form.type === 'nodepass') return { type: 'nodepass', url: form.url.trim() };
  if (form.type === 'mixed') {
    const base = previous?.type === 'mixed' ? previous : undefined;
    return {
      ...(base ?? { handshakeTimeoutMs: 10_000, idleTimeoutMs: 300_000, udpIdleTimeoutMs: 60_000 }),
      type: 'mixed',
      listen: form.listen.trim(),
      users: form.users.filter((u) => u.username.trim() !== '').map((u) => ({ username: u.username.trim(), password: u.password })),
      udp: form.udp,
    };
  }
  const base = previous?.type === 'vless' ? previous : undefined;
  const names = splitNames(form.selfSignedNames);
  const alpn = base?.tls?.alpn ?? [];
  let tls: VlessInboundSpec['tls'] = null;
  if (form.tls === 'self-signed') tls = { selfSignedNames: names.length ? names : ['localhost'], alpn };
  else if (form.tls === 'files') {
    tls = { certFile: form.certFile.trim(), keyFile: form.keyFile.trim(), selfSignedNames: names.length ? names : ['localhost'], alpn };
  }
  return {
    ...(base ?? { handshakeTimeoutMs: 10_000, idleTimeoutMs: 300_000, users: [] }),
    type: 'vless',
    listen: form.listen.trim(),
    transport: form.transport === 'ws' ? { type: 'ws', path: form.wsPath.trim() || '/' } : { type: 'tcp' },
    tls,
    udp: form.udp,
    fallback: form.fallback,
  };
}

/** createInstance input for a new instance (started right away). */
export function createInputFromForm(form: InstanceForm): CreateInstanceInput {
  return { name: form.name.trim(), autoStart: form.autoStart, spec: specFromForm(form), start: true };
}

/**
 * updateInstance input for an edit: only what changed, so renaming or toggling auto-start does
 * not restart the instance (a new spec does). Null when nothing changed.
 */
export function updateInputFromForm(instance: Instance, form: InstanceForm): UpdateInstanceInput | null {
  const input: UpdateInstanceInput = { id: instance.id };
  let changed = false;
  const name = form.name.trim();
  if (name !== instance.name) { input.name = name; changed = true; }
  if (form.autoStart !== instance.autoStart) { input.autoStart = form.autoStart; changed = true; }
  const spec = specFromForm(form, instance.spec);
  if (JSON.stringify(spec) !== JSON.stringify(specFromForm(formFromInstance(instance), instance.spec))) {
    input.spec = spec;
    changed = true;
  }
  return changed ? input : null;
}
