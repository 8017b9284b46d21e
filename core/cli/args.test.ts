import { describe, expect, it } from 'vitest';
import { parseCliArgs, UsageError } from './args';

const usage = (argv: string[]): UsageError => {
  try {
    parseCliArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error(`expected a usage error for ${argv.join(' ')}`);
};

describe('parseCliArgs', () => {
  it('parses serve options in both --x v and --x=v forms', () => {
    expect(parseCliArgs(['serve', '--data-dir', '/d', '--listen=0.0.0.0:0', '--config', 'c.json', '--token', 't', '--log-level', 'debug'])).toEqual({
      command: 'serve', help: false, dataDir: '/d', listen: '0.0.0.0:0', config: 'c.json', token: 't', logLevel: 'debug',
    });
    expect(parseCliArgs(['serve', '--listen', '[::1]:9090'])).toMatchObject({ listen: '[::1]:9090' });
    expect(parseCliArgs(['export', '--data-dir', '/d'])).toEqual({ command: 'export', help: false, dataDir: '/d', token: undefined });
    expect(parseCliArgs(['schema'])).toEqual({ command: 'schema', help: false });
    expect(parseCliArgs(['serve', '-h'])).toMatchObject({ command: 'serve', help: true });
  });

  it('knows --help and --version', () => {
    for (const a of ['--help', '-h', 'help']) expect(parseCliArgs([a])).toEqual({ command: 'help' });
    for (const a of ['--version', '-v', 'version']) expect(parseCliArgs([a])).toEqual({ command: 'version' });
  });

  it('names what is wrong', () => {
    expect(usage([]).message).toBe('missing command');
    expect(usage(['frobnicate']).message).toBe('unknown command "frobnicate"');
    expect(usage(['--frob']).message).toBe('unknown option --frob');
    expect(usage(['serve', '--frob'])).toMatchObject({ message: 'unknown option --frob', command: 'serve' });
    expect(usage(['serve', '--listen']).message).toBe('option --listen needs a value');
    expect(usage(['serve', '--help=yes']).message).toBe('option --help does not take a value');
    expect(usage(['serve', 'extra']).message).toBe("unexpected argument extra");
    expect(usage(['serve', '--listen', '9090']).message).toBe('--listen: expected host:port, got "9090"');
    expect(usage(['serve', '--log-level', 'loud']).message).toBe('--log-level: expected one of debug, info, warn, error, got "loud"');
    expect(usage(['export', '--listen', 'x:1']).message).toBe('unknown option --listen');
  });
});
