import { EventEmitter } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { DESKTOP_PORT_MESSAGES } from '../../core/rpc/desktop';
import { PORT_CHANNELS, forwardPorts } from './forward';

describe('preload port forwarding', () => {
  it('uses the contract\'s message names', () => {
    expect([...PORT_CHANNELS]).toEqual([DESKTOP_PORT_MESSAGES.core, DESKTOP_PORT_MESSAGES.desktop]);
  });

  it('posts each port into the page under its channel name, and nothing else', () => {
    const ipc = new EventEmitter();
    const posted: Array<[unknown, string, unknown[]]> = [];
    forwardPorts(ipc, (m, origin, transfer) => posted.push([m, origin, transfer]));
    const { port1, port2 } = new MessageChannel();
    ipc.emit('relaydesk:core-port', { ports: [port1] });
    ipc.emit('relaydesk:desktop-port', { ports: [port2] });
    ipc.emit('relaydesk:core-port', { ports: [] });
    ipc.emit('something-else', { ports: [port1] });
    expect(posted).toEqual([
      [{ type: 'relaydesk:core-port' }, '*', [port1]],
      [{ type: 'relaydesk:desktop-port' }, '*', [port2]],
    ]);
    port1.close();
    port2.close();
  });
});
