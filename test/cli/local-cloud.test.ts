import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { ModifySpotFleetRequestCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { DEFAULT_WORK_DIR, STATUS_PATH, type LocalCredentials } from '../../local/contract.js';
import { banner } from '../../local/main.js';
import { LocalCloudRunningError } from '../../local/work-dir-lock.js';
import { onPath } from '../support/system-tools.js';
import { openPane } from '../support/tmux.js';
import { startLoad } from '../support/load.js';
import { waitFor } from '../../harness/wait-for.js';

const run = promisify(execFile);

/**
 * Puts the local cloud's access key in this process's environment, as a user exports the banner's line (the
 * local cloud enforces IAM; `--endpoint` takes the environment's credentials). Returns what restores it.
 */
function exportCredentials(credentials: LocalCredentials): () => void {
  const saved = { AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** Runs the CLI in-process; returns its exit code and what it printed. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const code = await runCli(argv, { stdout, stderr });
  return { code, stdout: out, stderr: err };
}

describe('spotweb CLI against the local cloud', () => {
  let cloud: LocalCloud;
  let unexport: (() => void) | undefined;
  /** A project directory as a user has it: the local cloud's work directory is its `.local-cloud`. */
  let project: string;
  let workDir: string;

  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), 'spotweb-cli-'));
    workDir = join(project, DEFAULT_WORK_DIR);
    cloud = await startLocalCloud({ port: 0, timeScale: 0.05, workDir, context: { requestsPerTarget: '1000000' } });
    unexport = exportCredentials(cloud.credentials);
  });
  afterAll(async () => {
    unexport?.();
    await cloud?.close();
    rmSync(project, { recursive: true, force: true });
  });

  it('status --json matches the fleet (through the state file, in a separate process)', async () => {
    const { stdout } = await run('npx', ['tsx', 'cli/main.ts', 'status', '--local', workDir, '--json'], { cwd: process.cwd() });
    const status = JSON.parse(stdout);
    expect(status.target).toBe('local');
    expect(status.fleetRequestId).toBe(cloud.fleetRequestId);
    expect(status.targetCapacity).toBe(cloud.fleet.capacity);
    expect(status.instances.map((i: { instanceId: string }) => i.instanceId).sort()).toEqual(cloud.fleet.instances().map((i) => i.instanceId).sort());
    const healthy = cloud.loadBalancer.targets().filter((t) => t.state === 'healthy').map((t) => t.id).sort();
    expect(status.instances.filter((i: { health: string }) => i.health === 'healthy').map((i: { instanceId: string }) => i.instanceId).sort()).toEqual(healthy);
  });

  it('--local finds the local cloud from the project directory, a subdirectory, or its work directory', async () => {
    const sub = join(project, 'some', 'subdir');
    mkdirSync(sub, { recursive: true });
    for (const dir of [project, sub, workDir]) {
      const result = await cli('status', '--local', dir, '--json');
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout).fleetRequestId).toBe(cloud.fleetRequestId);
    }
    // No directory: found from where the user is (npm names it INIT_CWD).
    const tsx = join(process.cwd(), 'node_modules/.bin/tsx');
    const { stdout } = await run(tsx, [join(process.cwd(), 'cli/main.ts'), 'status', '--local', '--json'], { cwd: sub, env: { ...process.env, INIT_CWD: sub } });
    expect(JSON.parse(stdout).fleetRequestId).toBe(cloud.fleetRequestId);
  });

  it('refuses a second local cloud in the same work directory, naming the running one', async () => {
    const error = await startLocalCloud({ port: 0, workDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalCloudRunningError);
    expect((error as Error).message).toContain(`a local cloud is already running from ${workDir} (pid ${process.pid}, load balancer ${cloud.url})`);
    // The running one is untouched: the CLI still finds it.
    expect((await cli('status', '--local', project, '--json')).code).toBe(0);
  });

  it.skipIf(!onPath('aws'))("the banner's AWS CLI lines work with the AWS CLI installed here (v1 reads only AWS_DEFAULT_REGION)", async () => {
    const text = banner(cloud, { handler: true, spotWatcher: true });
    const exported = /export (.+)/.exec(text)![1]!;
    const env: Record<string, string> = Object.fromEntries(exported.split(' ').map((kv) => kv.split('=') as [string, string]));
    expect(env).toMatchObject({ AWS_REGION: cloud.region, AWS_DEFAULT_REGION: cloud.region, AWS_ENDPOINT_URL: cloud.endpoint });
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_'))) as Record<string, string>;
    // The modify line asks for the capacity the fleet has now (a no-op), so the cloud the other tests share keeps its
    // instances; it still goes through the gateway's rewrite and the re-signing as the CLI's caller.
    const commands = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('aws '))
      .map((l) => (l.includes('modify-spot-fleet-request') ? l.replace(/--target-capacity \d+/, `--target-capacity ${cloud.fleet.capacity}`) : l));
    expect(commands.length).toBeGreaterThanOrEqual(3);
    expect(commands.some((c) => c.includes('modify-spot-fleet-request'))).toBe(true);
    for (const command of commands) {
      const [, ...args] = command.split(' ');
      const { stdout } = await run('aws', [...args, '--output', 'json'], { env: { ...clean, ...env } });
      expect(JSON.parse(stdout)).toBeTypeOf('object');
    }
  });

  it.skipIf(!onPath('aws'))("the README's alarm snippet runs as written with the AWS CLI installed here (v1 ignores AWS_ENDPOINT_URL for SQS)", async () => {
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    const block = /Watch one fire and recover[^\n]*\n\n```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block, 'the README block after "Watch one fire and recover"').toBeDefined();
    // The user pastes the banner's line in place of the README's placeholders; the rest runs as written.
    const exported = /export .+/.exec(banner(cloud, { handler: true, spotWatcher: true }))![0];
    const script = block!.replace(/^export .+$/m, exported).replaceAll('--stack-name SpotWeb', `--stack-name ${cloud.stackName}`);
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_'))) as Record<string, string>;
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { env: clean });
    // describe-alarms ran and printed its JSON list (the alarm needs a simulated minute to move; not waited for here).
    expect(stdout).toMatch(/\[/);
    expect(stdout).not.toMatch(/queue\.amazonaws\.com/);
  });

  it('interrupt refuses a fleet that is not the stack\'s and a reduction below 1', async () => {
    const other = await cli('interrupt', '--endpoint', cloud.endpoint, '--fleet', 'sfr-00000000-0000-0000-0000-000000000000');
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/not stack .*'s fleet/);
    const tooMany = await cli('interrupt', '--endpoint', cloud.endpoint, '--by', String(cloud.fleet.capacity + 3));
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toMatch(/refusing to reduce .* at least 1 instance must keep serving, so --by can be at most/);
    expect(cloud.fleet.capacity).toBeGreaterThan(1);
  });

  it('load counts successes against the stack URL and exits 0', async () => {
    const result = await cli('load', '--endpoint', cloud.endpoint, '--rate', '50', '--duration', '1s', '--json');
    const summary = JSON.parse(result.stdout);
    expect(summary.failuresByKind).toEqual({});
    expect(result.code).toBe(0);
    expect(summary.requests).toBe(50);
    expect(summary.failures).toBe(0);
    expect(summary.instances.length).toBeGreaterThanOrEqual(1);
  });

  it('interrupt --fis interrupts the chosen instance through FIS', async () => {
    const capacity = cloud.fleet.capacity;
    // FIS is refused unless another target serves: on a loaded machine a health check may have just timed out.
    await waitFor('every target healthy', () => cloud.loadBalancer.targets().filter((t) => t.state === 'healthy').length >= capacity, 30_000);
    const victim = cloud.fleet.instances().find((i) => !i.reclaimAt)!.instanceId;
    const result = await cli('interrupt', '--endpoint', cloud.endpoint, '--fis', '--instance', victim, '--json', '--timeout', '60s');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.method).toBe('fis');
    expect(report.experimentId).toMatch(/^EXP/);
    expect(report.instances.map((i: { instanceId: string }) => i.instanceId)).toEqual([victim]);
    // ISO times as status --json gives them; the warning's own time, before the drain the CLI saw after it.
    expect(report.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(report.instances[0].warnedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(report.instances[0].goneAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(cloud.fleet.capacity).toBe(capacity);
    // The fleet keeps its capacity: it replaces the reclaimed instance.
    await waitFor('the replacement to serve', () => cloud.loadBalancer.targets().filter((t) => t.state === 'healthy').length >= capacity, 30_000);
  });


  // In a real terminal (tmux): the one-shot status fits the terminal as --watch does; `-J` joins a wrapped line, so a
  // line wider than the pane shows as one long line here.
  it.each([
    { columns: 80, rows: 24 },
    { columns: 200, rows: 50 },
  ])('status (one shot) at $columns×$rows fits the terminal', async ({ columns, rows }) => {
    const pane = await openPane(`npx tsx cli/main.ts status --local ${project}`, { columns, rows });
    try {
      await waitFor('status to print and exit', () => pane.exited(), 60_000);
      const screen = await pane.screen();
      expect(screen.some((l) => l.startsWith('Fleet capacity')), screen.join('\n')).toBe(true);
      for (const line of screen) expect([...line].length, line).toBeLessThanOrEqual(columns);
      // The wide terminal keeps every column the narrow one drops.
      if (columns === 200) expect(screen.some((l) => l.includes('requests'))).toBe(true);
    } finally {
      await pane.close();
    }
  }, 90_000);

  // In a real terminal (tmux): the watch view redraws one frame at a time at any size, through an interruption
  // (reclaim rows, draining, a notification, an instance that leaves), with nothing printed into it; and it shows
  // the sequence AWS shows: warned (reclaim in) → draining with seconds left → shutting-down / unused → gone.
  it.each([
    { columns: 80, rows: 24, interrupt: true },
    { columns: 200, rows: 50, interrupt: true },
  ])('status --watch at $columns×$rows draws clean frames (interrupt during it: $interrupt)', async ({ columns, rows, interrupt }) => {
    const pane = await openPane(`npx tsx cli/main.ts status --local ${project} --watch --interval 200ms`, { columns, rows }, { FORCE_COLOR: '1' });
    try {
      const frames: string[][] = [];
      const capture = async (): Promise<void> => void frames.push(await pane.screen());
      await waitFor('the first frame', async () => (await pane.screen()).some((l) => l.startsWith('Fleet capacity')), 60_000);
      const victim = cloud.fleet.instances().find((i) => !i.reclaimAt)!.instanceId;
      const interrupting = interrupt ? cli('interrupt', '--endpoint', cloud.endpoint, '--fis', '--instance', victim, '--timeout', '60s') : undefined;
      // Past the 11th redraw, where an abort listener per wait made Node print MaxListenersExceededWarning.
      const until = Date.now() + 7_000;
      while (Date.now() < until || (interrupting && frames.length < 60)) {
        await capture();
        await new Promise((r) => setTimeout(r, 150));
        if (Date.now() > until + 30_000) break;
      }
      // What is asserted here is the display; interrupt's own outcome is the tests' above and below.
      await interrupting;
      if (interrupt) {
        await waitFor('the watch to drop the reclaimed instance', async () => {
          await capture();
          return !frames.at(-1)!.some((l) => isRowOf(l, victim));
        }, 15_000).catch(async (e: Error) => {
          throw new Error(`${e.message}; watch exited: ${await pane.exited()}; last frame:\n${frames.at(-1)!.join('\n')}`);
        });
      }
      await capture();
      await pane.keys('C-c');
      await waitFor('the watch to stop on Ctrl-C', () => pane.exited(), 15_000);
      const after = await pane.screen();
      if (interrupt) {
        expect(frames.some((f) => f.some((l) => l.includes(victim) && /reclaim in/.test(l)))).toBe(true);
        const seen = victimSequence(frames, victim);
        console.log(`status --watch at ${columns}×${rows}, ${victim}: ${seen.join(' → ')}`);
        expect(seen).toContain('draining');
        expect(seen.at(-1)).toBe('gone');
        // In AWS's order: nothing back to healthy once draining, and gone only after both.
        expect(seen.indexOf('healthy')).toBeLessThan(seen.indexOf('draining'));
        expect(seen.slice(seen.indexOf('draining')).filter((s) => s === 'healthy')).toEqual([]);
        expect(frames.some((f) => f.some((l) => isRowOf(l, victim) && /draining \(\d+\.\d s left/.test(l)))).toBe(true);
      }
      for (const frame of frames) {
        const text = frame.join('\n');
        for (const line of frame) expect(line.length, `a line wider than ${columns}: ${line}`).toBeLessThanOrEqual(columns);
        // Node's own warnings (`(node:123) MaxListenersExceededWarning: …`); the stack's alarm names end in -Warning.
        expect(text).not.toMatch(/\w+Warning:|\(node:\d+\)/);
        // One frame at a time: one header, each instance on one row that carries its target health.
        expect(frame.filter((l) => l.startsWith('Fleet capacity'))).toHaveLength(1);
        expect(frame.filter((l) => l.startsWith('SpotWeb (local cloud)'))).toHaveLength(1);
        const rowsOf = (id: string): string[] => frame.filter((l) => l.startsWith(id) || l.startsWith(`│ ${id}`));
        for (const id of new Set(frame.flatMap((l) => /^(?:│ )?(i-[0-9a-f]+)/.exec(l)?.[1] ?? []))) {
          expect(rowsOf(id)).toHaveLength(1);
          expect(rowsOf(id)[0]).toMatch(/healthy|initial|draining|unhealthy|unused|unavailable/);
        }
      }
      // Ctrl-C leaves the last frame on the normal screen, and no warning.
      expect(after.join('\n')).toMatch(/Fleet capacity/);
      expect(after.join('\n')).not.toMatch(/\w+Warning:|\(node:\d+\)/);
      await waitFor('the fleet to be whole again', () => cloud.loadBalancer.targets().filter((t) => t.state === 'healthy').length >= cloud.fleet.capacity, 30_000);
    } finally {
      await pane.close();
    }
  });

  // In a real terminal, as a user types it: the live view and the report show the sequence AWS shows. No load, so
  // the drain completes at once (nothing in flight, no connection): ELB still shows draining until the deregistration
  // delay ends, and the report says the drain completed early rather than hiding the draining step.
  it.each([
    { columns: 80, rows: 24, fis: false },
    { columns: 200, rows: 50, fis: true },
  ])('interrupt --local at $columns×$rows (FIS: $fis) shows warned → draining → … → gone, and says when the drain completed', async ({ columns, rows, fis }) => {
    const capacity = cloud.fleet.capacity;
    await waitFor('every target healthy', () => cloud.loadBalancer.targets().filter((t) => t.state === 'healthy').length >= capacity, 30_000);
    // A serving instance (FIS refuses one that is not, and a fleet member may still be in its first checks).
    const healthy = new Set(cloud.loadBalancer.targets().filter((t) => t.state === 'healthy').map((t) => t.id));
    const victim = cloud.fleet.instances().find((i) => !i.reclaimAt && healthy.has(i.instanceId))!.instanceId;
    const args = fis ? `--fis --instance ${victim}` : '';
    const pane = await openPane(`npx tsx cli/main.ts interrupt --local ${project} ${args} --timeout 60s`, { columns, rows });
    try {
      const frames: string[][] = [];
      await waitFor('interrupt to finish', async () => {
        frames.push(await pane.screen());
        return pane.exited();
      }, 90_000);
      const lines = await pane.screen();
      // The report (below the live view's last frame) breaks its steps at the arrows and its note at the words to
      // fit the terminal: read flat.
      const report = lines.slice(lines.findIndex((l) => l.startsWith('Interrupted ')));
      expect(report.length, lines.join('\n')).toBeGreaterThan(1);
      for (const l of report) expect(l.length, `a report line wider than ${columns}: ${l}`).toBeLessThanOrEqual(columns);
      const screen = report.join('\n').replace(/\s+/g, ' ');
      // The report: per instance its steps in order and the verdict, then the note on the drain.
      const line = /(i-[0-9a-f]+): (warned \+[\d.]+ s → draining \+[\d.]+ s → .*?gone \+[\d.]+ s) drained, then gone/.exec(screen);
      expect(line, screen).not.toBeNull();
      console.log(`interrupt at ${columns}×${rows}: ${line![0]}`);
      if (fis) expect(line![1]).toBe(victim);
      expect(screen).toMatch(/drain complete \+[\d.]+ s(, before a poll saw the target draining)? \(no request in flight, no connection open\); ELB shows draining until the deregistration delay ends/);
      // The live view showed the draining target with its seconds left.
      expect(frames.some((f) => f.some((l) => /^ +now: (running|shutting-down), target draining \d+\.\d s left/.test(l)))).toBe(true);
      // The live view fits the terminal too (a wrapped line would break its redraw).
      for (const frame of frames) {
        const live = frame.slice(0, Math.max(0, frame.findIndex((l) => l.startsWith('Interrupted '))) || frame.length);
        for (const l of live) expect(l.length, `a line wider than ${columns}: ${l}`).toBeLessThanOrEqual(columns);
      }
    } finally {
      await pane.close();
    }
    if (!fis) await cloud.clients.ec2.send(new ModifySpotFleetRequestCommand({ SpotFleetRequestId: cloud.fleetRequestId, TargetCapacity: capacity }));
    await waitFor('the fleet to be whole again', () => cloud.loadBalancer.targets().filter((t) => t.state === 'healthy').length >= capacity, 30_000);
  });

  it('interrupt lowers the capacity and reports the interrupted instance drained and gone, with no failed request', async () => {
    const before = cloud.fleet.capacity;
    const load = startLoad(cloud.url, 4);
    const result = await cli('interrupt', '--endpoint', cloud.endpoint, '--json', '--timeout', '60s');
    const traffic = await load.stop();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.capacity).toEqual({ from: before, to: before - 1 });
    expect(cloud.fleet.capacity).toBe(before - 1);
    expect(report.instances).toHaveLength(1);
    const [gone] = report.instances;
    expect(gone.drained).toBe(true);
    expect(gone.drainingAt).toMatch(/^\d{4}-/);
    expect(Date.parse(gone.goneAt)).toBeGreaterThan(Date.parse(gone.drainingAt ?? gone.deregisteredAt));
    expect(Date.parse(gone.warnedAt)).toBeLessThan(Date.parse(gone.drainingAt ?? gone.deregisteredAt));
    expect(cloud.fleet.instances().map((i) => i.instanceId)).not.toContain(gone.instanceId);
    expect(traffic.failures).toBe(0);
  });

});

/** A line of the watch view's instance table for `id` (bordered or not), not a notification that names it. */
const isRowOf = (line: string, id: string): boolean => line.startsWith(id) || line.startsWith(`│ ${id}`);

/**
 * What the watch view showed of one instance, frame by frame, without repeats: its target health (`healthy`,
 * `draining`, `unused`…), `shutting-down` for the EC2 state when the row says so, `gone` once its row is absent.
 */
function victimSequence(frames: readonly string[][], victim: string): string[] {
  const seen: string[] = [];
  for (const frame of frames) {
    const row = frame.find((l) => isRowOf(l, victim));
    const step = !row ? 'gone' : /shutting-down/.test(row) ? 'shutting-down' : /(initial|healthy|unhealthy|draining|unused|unavailable)/.exec(row.replace(/\u001b\[[0-9;]*m/g, ''))?.[1];
    if (step && seen.at(-1) !== step) seen.push(step);
  }
  return seen;
}

describe('spotweb CLI, AWS path, against the local cloud with its local extras off', () => {
  let cloud: LocalCloud;
  let unexport: (() => void) | undefined;
  const instanceLog: string[] = [];
  const workDir = mkdtempSync(join(tmpdir(), 'spotweb-cli-aws-'));

  beforeAll(async () => {
    cloud = await startLocalCloud({
      port: 0,
      timeScale: 0.05,
      workDir,
      context: { requestsPerTarget: '1000000' },
      localExtras: false,
      verboseLog: (line) => instanceLog.push(line),
    });
    unexport = exportCredentials(cloud.credentials);
  });
  afterAll(async () => {
    unexport?.();
    await cloud?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('finds the stack through CloudFormation\'s outputs, then reads EC2 and ELB, as on AWS', async () => {
    // Nothing beside the AWS APIs: the CLI cannot tell this endpoint from AWS's.
    expect((await fetch(new URL(STATUS_PATH, cloud.endpoint))).ok).toBe(false);
    const { code, stdout, stderr } = await cli('status', '--endpoint', cloud.endpoint, '--region', cloud.region, '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const status = JSON.parse(stdout);
    expect(status.target).toBe('aws');
    expect(status.stackName).toBe(cloud.stackName);
    expect(status.fleetRequestId).toBe(cloud.fleetRequestId);
    // The output as CloudFormation holds it: the ALB's DNS name, not the local listener.
    expect(status.url).toBe(cloud.outputs.LoadBalancerUrl);
    expect(status.instances.map((i: { instanceId: string }) => i.instanceId).sort()).toEqual(
      cloud.fleet.instances().map((i) => i.instanceId).sort(),
    );
  });

  it('starts each instance app with its keep-alive above the load balancer\'s idle timeout, both scaled', () => {
    // 60 s idle timeout and 65 s keep-alive from the user data, at time scale 0.05.
    const started = instanceLog.filter((line) => line.includes('"event":"started"'));
    expect(started.length).toBeGreaterThan(0);
    for (const line of started) expect(line).toContain('"keepAliveTimeoutMs":3250');
  });
});

describe('spotweb load against a port that refuses connections', () => {
  it('reports every request as failed and exits non-zero (real process)', async () => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((r) => server.close(() => r()));
    const failed = await run('npx', ['tsx', 'cli/main.ts', 'load', '--url', `http://127.0.0.1:${port}/`, '--rate', '20', '--duration', '1s', '--json']).then(
      () => undefined,
      (err: { code: number; stdout: string }) => err,
    );
    expect(failed?.code).toBe(1);
    const summary = JSON.parse(failed!.stdout);
    expect(summary.requests).toBe(20);
    expect(summary.failures).toBe(20);
    expect(summary.failuresByKind).toEqual({ ECONNREFUSED: 20 });
  });

  it('says the local cloud is not running when its state file is missing', async () => {
    const none = mkdtempSync(join(tmpdir(), 'spotweb-none-'));
    try {
      const result = await cli('status', '--local', none);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/local cloud not running: start it with npm start/);
    } finally {
      rmSync(none, { recursive: true, force: true });
    }
  });
});
