import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, parseConfig } from '../../userdata/app/config.js';

describe('parseConfig', () => {
  it('uses the documented defaults for an empty environment', () => {
    expect(parseConfig({})).toEqual({
      port: 8000,
      host: '0.0.0.0',
      imdsEndpoint: 'http://169.254.169.254',
      spotPollIntervalMs: 5000,
      spotWatcher: true,
      healthPath: '/health',
      drainTimeoutMs: 25_000,
      // Above ALB's default idle timeout (60 s), not Node's 5 s.
      keepAliveTimeoutMs: 65_000,
      headersTimeoutMs: 66_000,
    });
    expect(parseConfig({ PORT: '', HOST: '  ' })).toEqual(DEFAULT_CONFIG);
  });

  it('reads the local cloud settings', () => {
    expect(
      parseConfig({
        HOST: '127.0.0.1',
        PORT: '41001',
        IMDS_ENDPOINT: 'http://127.0.0.1:41002/',
        SPOT_POLL_INTERVAL_MS: '50',
        SPOT_WATCHER: 'off',
        HEALTH_PATH: '/healthz',
        DRAIN_TIMEOUT_MS: '0',
        KEEP_ALIVE_TIMEOUT_MS: '3250',
        HEADERS_TIMEOUT_MS: '3300',
      }),
    ).toEqual({
      host: '127.0.0.1',
      port: 41001,
      imdsEndpoint: 'http://127.0.0.1:41002',
      spotPollIntervalMs: 50,
      spotWatcher: false,
      healthPath: '/healthz',
      drainTimeoutMs: 0,
      keepAliveTimeoutMs: 3250,
      headersTimeoutMs: 3300,
    });
  });

  it('keeps the headers timeout above the keep-alive timeout', () => {
    expect(parseConfig({ KEEP_ALIVE_TIMEOUT_MS: '120000' }).headersTimeoutMs).toBe(121_000);
    expect(() => parseConfig({ KEEP_ALIVE_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '5000' })).toThrow(
      /HEADERS_TIMEOUT_MS \(5000\) must be above KEEP_ALIVE_TIMEOUT_MS \(5000\)/,
    );
  });

  it.each([
    [{ SPOT_WATCHER: 'yes' }, /SPOT_WATCHER must be "on" or "off", got "yes"/],
    [{ PORT: 'eighty' }, /PORT must be a whole number between 1 and 65535, got "eighty"/],
    [{ PORT: '0' }, /PORT must be between 1 and 65535, got 0/],
    [{ PORT: '70000' }, /PORT must be between 1 and 65535, got 70000/],
    [{ PORT: '80.5' }, /PORT must be a whole number/],
    [{ SPOT_POLL_INTERVAL_MS: '-5' }, /SPOT_POLL_INTERVAL_MS must be a whole number/],
    [{ SPOT_POLL_INTERVAL_MS: '1' }, /SPOT_POLL_INTERVAL_MS must be between 10 and/],
    [{ DRAIN_TIMEOUT_MS: '1e3' }, /DRAIN_TIMEOUT_MS must be a whole number/],
    [{ IMDS_ENDPOINT: '169.254.169.254' }, /IMDS_ENDPOINT must be an http:\/\/ URL/],
    [{ IMDS_ENDPOINT: 'https://169.254.169.254' }, /IMDS_ENDPOINT must be a plain http:\/\/ URL/],
    [{ IMDS_ENDPOINT: 'http://127.0.0.1:1/?x=1' }, /without query or fragment/],
    [{ HOST: 'local host' }, /HOST must be an address or host name/],
    [{ HEALTH_PATH: 'health' }, /HEALTH_PATH must be a URL path starting with "\/"/],
    [{ HEALTH_PATH: '/' }, /HEALTH_PATH must not be "\/"/],
  ])('rejects %j with a clear message', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(message);
  });
});
