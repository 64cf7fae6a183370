import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startLocalCloud } from '../../local/cloud.js';
import { modeLines, parseCli, USAGE } from '../../local/main.js';
import { SimulatedClock } from '../../local/clock.js';
import { PortInUseError } from '../../local/ports.js';
import { LocalSetupError } from '../../local/preflight.js';
import { spawnSync } from 'node:child_process';

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
    expect(parseCli(['--port', '0'])).toMatchObject({ port: 0 });
  });

  it.each([
    [['--time-scale', '0'], /--time-scale must be a number greater than 0 and at most 1, got "0"/],
    [['--time-scale', 'fast'], /--time-scale must be a number/],
    [['--port', '70000'], /--port must be a port number/],
    [['-c', 'novalue'], /-c expects key=value/],
    [['--bogus'], /^unknown option --bogus$/],
    [['--time-sacle', '0.05'], /^unknown option --time-sacle \(did you mean --time-scale\?\)$/],
    // A negative value is the option's value (node's parser would call it "ambiguous"), and wrong.
    [['--port', '-5'], /^--port must be a port number from 1 to 65535 \(or 0 for a free one\), got "-5"$/],
    [['--time-scale', '-1'], /^--time-scale must be a number greater than 0 and at most 1, got "-1"$/],
  ])('rejects %j with a clear message', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(message);
  });
});

describe('npm start --help', () => {
  it('fits 80 columns', () => {
    for (const line of USAGE.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });
});

describe('npm start mode lines', () => {
  it('say each switch that differs from AWS, every line within 80 columns (they sit right above the URL)', () => {
    for (const scale of [1, 0.05, 0.001, 0.0001234, 0.123456789, 0.12345678901234568, 1e-9]) {
      for (const handler of [true, false]) {
        for (const spotWatcher of [true, false]) {
          const lines = modeLines(new SimulatedClock(scale), { handler, spotWatcher });
          expect(lines.some((l) => l.includes('--no-handler'))).toBe(!handler);
          expect(lines.some((l) => l.includes('--no-spot-watcher'))).toBe(!spotWatcher);
          expect(lines.some((l) => l.includes('Time scale'))).toBe(scale !== 1);
          for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
          if (scale === 0.05) expect(lines[0]).toBe('  Time scale 0.05: AWS time runs 20× faster (120 s warning: 6 s).');
          if (scale === 0.0001234) expect(lines[0]).toContain('(120 s warning: 14.81 ms)');
        }
      }
    }
  });
});

describe('npm start usage errors (real process)', () => {
  it('prints one line and where the options are, not the whole help, and exits 2', () => {
    const result = spawnSync('npx', ['tsx', 'local/main.ts', '--port', '-5'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('npm start: --port must be a port number from 1 to 65535 (or 0 for a free one), got "-5"\n(npm start -- --help lists the options)\n');
  });
});

describe('start-up errors', () => {
  it('says in one line that a region is not one, before starting anything', async () => {
    const error = await startLocalCloud({ port: 0, region: 'mars-1', workDir: '.local-cloud/region-test' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalSetupError);
    expect((error as Error).message).toMatch(/^--region mars-1 is not an AWS region the local cloud can play: pass a commercial region such as us-east-1/);
  });

  it('says HTTPS is not played locally when a certificate is configured, instead of failing in the deploy', async () => {
    const error = await startLocalCloud({
      port: 0,
      workDir: '.local-cloud/certificate-test',
      context: { certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-0000-0000-000000000000' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalSetupError);
    expect((error as Error).message).toMatch(/^HTTPS is not played locally .*leave -c certificateArn out with npm start/);
  });

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
    // The error is whole: no pointer to `cdk synth`, which without the same -c would synthesize fine.
    expect((error as Error).message).toContain('Fix that -c value');
    expect((error as Error).message).not.toContain('npx cdk synth');
  });
});
