import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { synthesize } from '../support/synth.js';

describe('validators', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'spotweb-synth-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('cdk-nag AwsSolutions reports no unacknowledged finding, and every acknowledgement has a reason', () => {
    const { app } = synthesize();
    const report = new AwsSolutionsChecks().validateScope(app);
    const summary = report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(',')}`);
    expect(summary).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('cdk-nag does find the issues it is there for (an unacknowledged open security group fails)', async () => {
    const { stack } = synthesize();
    const { SecurityGroup, Peer, Port } = await import('aws-cdk-lib/aws-ec2');
    const open = new SecurityGroup(stack, 'WideOpen', { vpc: stack.network.vpc });
    open.addIngressRule(Peer.anyIpv4(), Port.tcp(22));
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => v.ruleName)).toContain('AwsSolutions-EC23');
  });

  it('cfn-lint finds no error or warning in the synthesized template (W3005 ignored by config)', () => {
    const { app } = synthesize({}, { outdir });
    app.synth();
    const template = join(outdir, 'SpotWeb.template.json');
    let output = '';
    try {
      output = execFileSync('cfn-lint', ['--', template], { encoding: 'utf8', cwd: join(import.meta.dirname, '../..') });
    } catch (err) {
      const e = err as { code?: string; stdout?: string; stderr?: string };
      if (e.code === 'ENOENT') throw new Error('cfn-lint is not installed: pip install -r requirements-dev.txt');
      output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    }
    expect(output.trim()).toBe('');
  });
});
