import { afterEach } from 'vitest';
import { Store } from '../store/store';
import { tempDirs } from './store-temp';

/**
 * Registers the store suites' cleanup: after each test every store opened with `openStore` is
 * closed and every temp dir removed.
 */
export function storeSuite(): { dirs: ReturnType<typeof tempDirs>; openStore(dir?: string): Store } {
  const dirs = tempDirs();
  const open: Store[] = [];
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    dirs.cleanup();
  });
  return {
    dirs,
    openStore(dir = dirs.make()) {
      const s = Store.open(dir);
      open.push(s);
      return s;
    },
  };
}
