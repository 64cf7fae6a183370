import { join } from 'node:path';
import { cloudFormationReads } from '../cloudformation/stack-reads.js';
import { createClients, destroyClients, type AwsClients } from '../deploy/clients.js';
import { deployTemplate, type DeployedStack } from '../deploy/deploy.js';
import { AwsGateway } from '../gateway.js';
import { LOCAL_IDENTITY_BOOTSTRAP_CALLS, startLocalIam, type LocalIam } from '../iam/local-iam.js';
import { startMoto, type MotoServer } from '../moto-server.js';
import { checkPlayable } from '../preflight.js';
import { synthesizeStack, type SynthesizedStack } from '../synth.js';
import { startPhase, type Started } from '../teardown.js';

export interface DeployStackProps {
  /** The work directory; the assembly is synthesized into its `cdk.out`. */
  readonly workDir: string;
  readonly region: string;
  /** CDK context values (`-c key=value`). */
  readonly context?: Record<string, unknown>;
  /** moto enforces IAM (local/iam/). @default true */
  readonly enforceIam?: boolean;
  readonly log: (line: string) => void;
  readonly verbose: (line: string) => void;
}

/** The stack deployed in the local control plane, and the AWS endpoint in front of it. */
export interface LocalStack {
  readonly synth: SynthesizedStack;
  readonly moto: MotoServer;
  /** The AWS endpoint (moto behind the gateway) every client uses. */
  readonly gateway: AwsGateway;
  readonly endpoint: string;
  /** Clients for `endpoint`, shared by every part of the local cloud; they act as `iam.credentials`. */
  readonly clients: AwsClients;
  /** IAM as moto enforces it: the local cloud's identity and the role sessions of the services it plays. */
  readonly iam: LocalIam;
  readonly deployed: DeployedStack;
}

/**
 * Phase 1 of `npm start`: synthesizes the CDK app (the one `cdk deploy` deploys) while moto starts, puts the AWS
 * gateway in front of moto, and creates the stack's resources through the AWS APIs. CloudFormation's read calls
 * then answer for the deployed stack (moto's CloudFormation never saw it). Throws the synth's, the preflight's or
 * the deployer's error after stopping what it started.
 */
export function deployStack(props: DeployStackProps): Promise<Started<LocalStack>> {
  const { log, verbose, region } = props;
  return startPhase(async (teardown) => {
    log('Synthesizing the CDK app (same app as `cdk deploy`)…');
    // moto starts while the app synthesizes; whatever fails next, it is stopped again.
    // moto enforces IAM from its first request after the local identity's creation (local/iam/).
    const motoStarting = startMoto({ loadManagedPolicies: true, ...((props.enforceIam ?? true) && { initialNoAuthActionCount: LOCAL_IDENTITY_BOOTSTRAP_CALLS }) });
    teardown.add(async () => (await motoStarting.catch(() => undefined))?.stop());
    const synth = synthesizeStack(join(props.workDir, 'cdk.out'), props.context);
    checkPlayable(synth.template);
    const moto = await motoStarting;
    log(`moto (local AWS control plane) on ${moto.endpoint}`);
    const iam = await startLocalIam({ motoEndpoint: moto.endpoint, region });
    teardown.add(() => iam.close());

    const gateway = new AwsGateway({ upstream: moto.endpoint, resign: (original, rewritten) => iam.resign(original, rewritten) });
    teardown.add(gateway.observe(iam.onRolePolicyChanged));
    const endpoint = await gateway.start();
    teardown.add(() => gateway.close());
    const clients = createClients({ endpoint, region, credentials: iam.credentials });
    teardown.add(() => destroyClients(clients));

    log(`Deploying ${synth.stackName} into the local cloud…`);
    const deployed = await deployTemplate({
      template: synth.template,
      assemblyDir: synth.assemblyDir,
      stackName: synth.stackName,
      clients,
      region,
      onProgress: (e) => {
        if (e.status === 'created') verbose(`  created ${e.type} ${e.logicalId}`);
      },
    });
    teardown.add(gateway.intercept(cloudFormationReads(deployed)));
    reportDeployment(deployed, log);
    return { synth, moto, gateway, endpoint, clients, iam, deployed };
  });
}

/** What was created, and everything not created exactly as on AWS, so nothing is dropped silently. */
function reportDeployment(deployed: DeployedStack, log: (line: string) => void): void {
  log(`  ${Object.keys(deployed.resources).length} resources created through the AWS APIs.`);
  if (deployed.skipped.length > 0) {
    log('  Not emulated locally (left out, listed so nothing is dropped silently):');
    for (const s of deployed.skipped) log(`    - ${s.logicalId} (${s.type}): ${s.reason}`);
  }
  for (const n of deployed.notes) log(`  note: ${n.logicalId} (${n.type}): ${n.message}`);
  for (const n of deployed.notApplicable) log(`  not applicable locally: ${n.name}: ${n.reason}`);
}
