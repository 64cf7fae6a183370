import { CfnOutput, Duration, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { STACK_TAG } from '../common/ec2-events.js';
import type { SpotWebConfig } from './config.js';
import { FleetAutoScaling } from './fleet-autoscaling.js';
import { InterruptionRouting } from './interruption-routing.js';
import { WebLaunchTemplate } from './launch-template.js';
import { WebLoadBalancer } from './load-balancer.js';
import { SpotWebMonitoring } from './monitoring.js';
import { Network } from './network.js';
import { ownProviderLogGroups } from './provider-logs.js';
import { WebSpotFleet } from './spot-fleet.js';

export interface SpotWebStackProps extends StackProps {
  readonly config: SpotWebConfig;
  /** The instance boot script (rendered from userdata/ by the app entry). */
  readonly userData: string;
}

/** Output keys, shared with the tools that find a deployed stack (local cloud, CLI). */
export const OUTPUTS = {
  url: 'LoadBalancerUrl',
  fleetRequestId: 'FleetRequestId',
  targetGroupArn: 'TargetGroupArn',
  topicArn: 'TopicArn',
  handlerFunctionName: 'HandlerFunctionName',
  confirmationFunctionName: 'ConfirmationFunctionName',
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
} as const;

export class SpotWebStack extends Stack {
  readonly network: Network;
  readonly loadBalancer: WebLoadBalancer;
  readonly launchTemplate: WebLaunchTemplate;
  readonly spotFleet: WebSpotFleet;
  readonly autoScaling: FleetAutoScaling;
  readonly interruptionRouting: InterruptionRouting;
  readonly monitoring: SpotWebMonitoring;

  constructor(scope: Construct, id: string, props: SpotWebStackProps) {
    super(scope, id, props);
    const { config } = props;
    const logRetention = config.logRetentionDays as logs.RetentionDays;
    // The ALB's drain and what the handler tells a human about it: one value.
    const deregistrationDelay = Duration.seconds(config.deregistrationDelaySeconds);
    Tags.of(this).add(STACK_TAG, this.stackName, {
      // CDK would tag these too, but CloudFormation's published schemas (and cfn-lint) do not accept Tags on them.
      excludeResourceTypes: [
        'AWS::ElasticLoadBalancingV2::Listener',
        'AWS::ApplicationAutoScaling::ScalableTarget',
        'AWS::CloudWatch::Dashboard',
      ],
    });

    this.network = new Network(this, 'Network', { logRetention });
    this.loadBalancer = new WebLoadBalancer(this, 'LoadBalancer', {
      vpc: this.network.vpc,
      appPort: config.appPort,
      healthCheckPath: config.healthCheckPath,
      healthCheckInterval: Duration.seconds(config.healthCheckIntervalSeconds),
      healthCheckTimeout: Duration.seconds(config.healthCheckTimeoutSeconds),
      healthyThresholdCount: config.healthyThresholdCount,
      unhealthyThresholdCount: config.unhealthyThresholdCount,
      deregistrationDelay,
      idleTimeout: Duration.seconds(config.idleTimeoutSeconds),
      certificateArn: config.certificateArn,
    });
    this.launchTemplate = new WebLaunchTemplate(this, 'Instances', {
      securityGroup: this.loadBalancer.instanceSecurityGroup,
      userData: props.userData,
      sessionManager: config.sessionManager,
    });
    this.spotFleet = new WebSpotFleet(this, 'SpotFleet', {
      launchTemplate: this.launchTemplate.launchTemplate,
      instanceRole: this.launchTemplate.instanceRole,
      subnets: this.network.vpc.publicSubnets,
      instanceTypes: config.instanceTypes,
      allocationStrategy: config.allocationStrategy,
      targetCapacity: config.targetCapacity,
      targetGroup: this.loadBalancer.targetGroup,
      capacityRebalance: config.capacityRebalance
        ? { replacementStrategy: config.rebalanceReplacementStrategy, terminationDelay: Duration.seconds(config.rebalanceTerminationDelaySeconds) }
        : undefined,
    });
    this.autoScaling = new FleetAutoScaling(this, 'AutoScaling', {
      fleetRequestId: this.spotFleet.requestId,
      minCapacity: config.minCapacity,
      maxCapacity: config.maxCapacity,
      loadBalancer: this.loadBalancer.alb,
      targetGroup: this.loadBalancer.targetGroup,
      requestsPerTarget: config.requestsPerTarget,
      scaleOutCooldown: Duration.seconds(config.scaleOutCooldownSeconds),
      scaleInCooldown: Duration.seconds(config.scaleInCooldownSeconds),
    });
    this.interruptionRouting = new InterruptionRouting(this, 'Interruptions', {
      targetGroups: [this.loadBalancer.targetGroup],
      deregistrationDelay,
      drainOnRebalance: config.drainOnRebalance,
      notificationEmail: config.notificationEmail,
      logRetention,
    });

    ownProviderLogGroups(this, logRetention);
    this.monitoring = new SpotWebMonitoring(this, 'Monitoring', {
      topic: this.interruptionRouting.topic,
      loadBalancer: this.loadBalancer.alb,
      targetGroup: this.loadBalancer.targetGroup,
      fleetRequestId: this.spotFleet.requestId,
      handler: this.interruptionRouting.handler,
      confirmation: this.interruptionRouting.confirmation,
      deadLetterQueue: this.interruptionRouting.deadLetterQueue,
      rules: [this.interruptionRouting.warningRule, ...(this.interruptionRouting.rebalanceRule ? [this.interruptionRouting.rebalanceRule] : [])],
      handlerMetrics: this.interruptionRouting.handlerMetrics,
      confirmationMetrics: this.interruptionRouting.confirmationMetrics,
      thresholds: {
        elb5xxPerMinute: config.alarmElb5xxPerMinute,
        noHealthyTargetMinutes: config.alarmNoHealthyTargetMinutes,
        unhealthyTargetMinutes: config.alarmUnhealthyTargetMinutes,
        capacityShortfallMinutes: config.alarmCapacityShortfallMinutes,
        handlerErrors: config.alarmHandlerErrors,
      },
    });

    new CfnOutput(this, OUTPUTS.url, { value: this.loadBalancer.url, description: 'Browse here' });
    new CfnOutput(this, OUTPUTS.fleetRequestId, { value: this.spotFleet.requestId });
    new CfnOutput(this, OUTPUTS.targetGroupArn, { value: this.loadBalancer.targetGroup.targetGroupArn });
    new CfnOutput(this, OUTPUTS.topicArn, { value: this.interruptionRouting.topic.topicArn });
    new CfnOutput(this, OUTPUTS.handlerFunctionName, { value: this.interruptionRouting.handler.functionName });
    new CfnOutput(this, OUTPUTS.confirmationFunctionName, {
      value: this.interruptionRouting.confirmation.functionName,
      description: 'Sends the drain confirmation (the handler\'s on-success destination)',
    });
    new CfnOutput(this, OUTPUTS.deadLetterQueueUrl, { value: this.interruptionRouting.deadLetterQueue.queueUrl });
  }
}
