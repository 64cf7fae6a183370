import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startLocalCloud } from '../../local/cloud.js';
import { parseCli } from '../../local/main.js';
import { PortInUseError } from '../../local/ports.js';

describe('npm start options', () => {
  it('reads the documented flags', () => {
    expect(parseCli(['--time-scale', '0.05', '--port', '9090', '--no-handler', '-c', 'minCapacity=3', '-c', 'maxCapacity=4'])).toEqual({
      port: 9090,
      timeScale: 0.05,
      handler: false,
      spotWatcher: true,
      region: 'us-east-1',
      context: { minCapacity: '3', maxCapacity: '4' },
      verbose: false,
    });
    expect(parseCli(['--help'])).toBe('help');
  });

  it.each([
    [['--time-scale', '0'], /--time-scale must be a number greater than 0 and at most 1, got "0"/],
    [['--time-scale', 'fast'], /--time-scale must be a number/],
    [['--port', '70000'], /--port must be a port number/],
    [['-c', 'novalue'], /-c expects key=value/],
    [['--bogus'], /Unknown option '--bogus'/],
  ])('rejects %j with a clear message', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(message);
  });
});

describe('start-up errors', () => {
  it('says what to do when the load balancer port is taken, before synthesizing anything', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const started = Date.now();
    const error = await startLocalCloud({ port, workDir: '.local-cloud/port-test' }).catch((e: unknown) => e);
    blocker.close();
    expect(error).toBeInstanceOf(PortInUseError);
    expect((error as Error).message).toBe(`port ${port} on 127.0.0.1 is in use: pass \`npm start -- --port <free port>\`, or stop the program using it`);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('names the bad key when the stack configuration does not synthesize', async () => {
    const error = await startLocalCloud({ port: 0, workDir: '.local-cloud/synth-test', context: { minCapacity: '5', maxCapacity: '2' } }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('SynthError');
    expect((error as Error).message).toMatch(/Invalid configuration "minCapacity": must not exceed maxCapacity/);
  });
});
