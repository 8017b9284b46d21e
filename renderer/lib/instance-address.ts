import type { Instance } from '../../core/rpc';

/** What an instance is configured to listen on ("host:port"), or its tunnel URL for nodepass instances. */
export function configuredAddress(instance: Instance): string {
  return 'listen' in instance.spec ? instance.spec.listen : instance.spec.url;
}
