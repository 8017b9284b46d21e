import { CoreError } from '../rpc';

/** Maps a listen()/bind() failure to a CoreError whose message names the address. */
export function listenError(err: unknown, address: string): CoreError {
  if (err instanceof CoreError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'EADDRINUSE':
      return new CoreError('E_LISTEN_ADDRINUSE', `${address} is already in use by another program`, { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new CoreError('E_LISTEN_ACCESS', `no permission to listen on ${address} (ports below 1024 need privileges)`, { cause: err });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new CoreError('E_LISTEN_ADDRNOTAVAIL', `${address} is not an address of this machine`, { cause: err });
    default:
      return new CoreError('E_LISTEN_FAILED', `cannot listen on ${address}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}
