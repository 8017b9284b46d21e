// The preload (bundled to dist/electron/preload.cjs; contextIsolation and sandbox on). It forwards
// the engine and shell ports into the page and tells the page it runs in the desktop app.
import { contextBridge, ipcRenderer } from 'electron';
import { forwardPorts } from './forward';

// electron/ compiles without the DOM library; this is the one DOM call the preload makes.
declare const window: { postMessage(message: unknown, targetOrigin: string, transfer: unknown[]): void };

forwardPorts(ipcRenderer, (message, targetOrigin, transfer) => window.postMessage(message, targetOrigin, transfer));
contextBridge.exposeInMainWorld('relaydeskDesktop', true);
