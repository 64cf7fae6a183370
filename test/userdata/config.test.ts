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
      }),
    ).toEqual({
      host: '127.0.0.1',
      port: 41001,
      imdsEndpoint: 'http://127.0.0.1:41002',
      spotPollIntervalMs: 50,
      spotWatcher: false,
      healthPath: '/healthz',
      drainTimeoutMs: 0,
    });
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
