import { writeSync } from 'node:fs';
import { Store } from '../store/store';

/**
 * Child process of core/store/crash.test.ts (bundled with esbuild, run with node): writes to the
 * store in a loop until killed, printing each id on stdout only after its transaction committed.
 * Each transaction touches every table kind, so a partial one would show.
 */
const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: store-crash-writer <dataDir>');
const store = Store.open(dataDir);
ack('ready');
for (let i = 1; ; i++) {
  const ts = i * 1000;
  store.tx(() => {
    store.instances.insert({ id: `i${i}`, name: `instance ${i}`, type: 'mixed', spec: { type: 'mixed', listen: `127.0.0.1:${i}`, pad: 'x'.repeat(200) }, autoStart: i % 2 === 0, createdAt: ts, updatedAt: ts });
    store.settings.set(`k${i}`, { i });
    store.history.append([{ scope: 'total', ts, up: i, down: 2 * i }, { scope: `instance:i${i}`, ts, up: 1, down: 1 }]);
    store.counters.save(new Map([['total', { up: i, down: 2 * i }]]));
  });
  ack(String(i));
}

function ack(line: string): void {
  const buf = Buffer.from(`${line}\n`);
  for (let off = 0; off < buf.length;) {
    try {
      off += writeSync(1, buf, off);
    } catch (err) {
      // stdout may be a non-blocking pipe: wait for the reader instead of failing.
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
  }
}
