import { DEFAULT_LISTEN } from './paths';

/** `relaydesk --help`. `dataDir` is the default data dir on this machine. */
export function mainHelp(dataDir: string): string {
  return `Usage: relaydesk <command> [options]

Commands:
  serve     run the engine headless, with its API and web dashboard
  export    print the current state as a configuration file (JSON)
  schema    print the configuration file's JSON Schema

${serveOptions(dataDir)}
${exportOptions()}
Global options:
  -h, --help        show help (also: relaydesk <command> --help)
  -v, --version     print the version

Environment:
  RELAYDESK_DATA_DIR    default data dir
  RELAYDESK_TOKEN       API token (when --token is not given)
  RELAYDESK_DASHBOARD_DIR  built dashboard to serve (default: renderer/ beside the CLI bundle)

Exit codes:
  0  success; serve stopped by SIGINT or SIGTERM
  1  failure: data dir in use by another RelayDesk, address in use, storage error,
     running RelayDesk unreachable
  2  usage error or invalid configuration file
`;
}

export function serveHelp(dataDir: string): string {
  return `Usage: relaydesk serve [options]

Runs the engine with its API (WebSocket /rpc) and the web dashboard, and prints the dashboard
URL with its token. SIGINT or SIGTERM stops it cleanly.

${serveOptions(dataDir)}`;
}

export function exportHelp(): string {
  return `Usage: relaydesk export [options]

Prints the data dir's instances and settings as a configuration file (for serve --config).
If a serve is running on the data dir, asks it over its API.

${exportOptions()}`;
}

export function schemaHelp(): string {
  return `Usage: relaydesk schema

Prints the JSON Schema of the configuration file (point "$schema" at a saved copy).
`;
}

function serveOptions(dataDir: string): string {
  return `serve options:
  --data-dir DIR       data directory (default: ${dataDir})
  --listen HOST:PORT   API and dashboard address (default: ${DEFAULT_LISTEN}; port 0 picks one)
  --config FILE        apply this configuration file at start; with it, a new data dir
                       is not given the default local proxy
  --token TOKEN        API token (default: $RELAYDESK_TOKEN, else DIR/api-token, created
                       on first run)
  --log-level LEVEL    stderr log level: debug, info, warn, error (default: info)
`;
}

function exportOptions(): string {
  return `export options:
  --data-dir DIR       data directory (as for serve)
  --token TOKEN        token of the running serve (default: $RELAYDESK_TOKEN, else DIR/api-token)
`;
}
