/**
 * What polling moto's DescribeTargetHealth costs: latency per call and moto's CPU share while a
 * TargetGroupSync polls a 20-target group every 100 ms for 5 s. Run: npx tsx bench/target-sync-poll.ts
 */
import { readFileSync } from 'node:fs';
import { CreateVpcCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { LocalLoadBalancer, TargetGroupSync, readTargetGroupSettings } from '../local/alb/index.js';
import { SimulatedClock } from '../local/clock.js';
import { motoClientConfig, startMoto } from '../local/moto-server.js';

const TARGETS = 20;
const POLL_MS = 100;
const RUN_MS = 5_000;

/** utime + stime of a process (all its threads), in seconds, from Linux /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const moto = await startMoto();
try {
  const config = motoClientConfig(moto.endpoint);
  const ec2 = new EC2Client(config);
  const elbv2 = new ElasticLoadBalancingV2Client(config);
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const tg = await elbv2.send(new CreateTargetGroupCommand({ Name: 'bench', Protocol: 'HTTP', Port: 80, VpcId: vpc.Vpc?.VpcId }));
  const arn = tg.TargetGroups?.[0]?.TargetGroupArn as string;
  const run = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-03cf127a', MinCount: TARGETS, MaxCount: TARGETS }));
  await elbv2.send(
    new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: (run.Instances ?? []).map((i) => ({ Id: i.InstanceId })) }),
  );

  const samples: number[] = [];
  for (let i = 0; i < 50; i++) {
    const start = performance.now();
    await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  console.log(`DescribeTargetHealth, ${TARGETS} targets: p50 ${samples[25]?.toFixed(1)} ms, p95 ${samples[47]?.toFixed(1)} ms`);

  const settings = await readTargetGroupSettings(elbv2, arn, new SimulatedClock(0.05));
  const lb = new LocalLoadBalancer({ ...settings, resolveTarget: () => undefined });
  await lb.start();
  const sync = new TargetGroupSync({ elbv2, targetGroupArn: arn, loadBalancer: lb, pollMs: POLL_MS });
  const pid = moto.pid;
  const cpuBefore = cpuSeconds(pid);
  sync.start();
  await new Promise((resolve) => setTimeout(resolve, RUN_MS));
  await sync.stop();
  const share = (cpuSeconds(pid) - cpuBefore) / (RUN_MS / 1_000);
  console.log(`moto CPU while polling every ${POLL_MS} ms: ${(share * 100).toFixed(1)}% of one core`);
  await lb.close();
  ec2.destroy();
  elbv2.destroy();
} finally {
  await moto.stop();
}
