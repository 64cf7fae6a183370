import { Duration, Stack } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface FleetAutoScalingProps {
  /** The Spot Fleet request id (`sfr-…`). */
  readonly fleetRequestId: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** Requests per target per minute the fleet is sized for. */
  readonly requestsPerTarget: number;
  readonly scaleOutCooldown: Duration;
  readonly scaleInCooldown: Duration;
}

/** Target tracking on ALB requests per target, scaling the Spot Fleet's target capacity. */
export class FleetAutoScaling extends Construct {
  readonly scalableTarget: appscaling.ScalableTarget;

  constructor(scope: Construct, id: string, props: FleetAutoScalingProps) {
    super(scope, id);
    // Application Auto Scaling's service-linked role for Spot Fleet (AWS creates it on first use) already
    // holds exactly the permissions it needs; a role of our own would have to repeat them.
    const serviceLinkedRole = iam.Role.fromRoleArn(
      this,
      'ServiceLinkedRole',
      Stack.of(this).formatArn({
        service: 'iam',
        region: '',
        resource: 'role',
        resourceName:
          'aws-service-role/ec2.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_EC2SpotFleetRequest',
      }),
    );
    this.scalableTarget = new appscaling.ScalableTarget(this, 'Target', {
      role: serviceLinkedRole,
      serviceNamespace: appscaling.ServiceNamespace.EC2,
      scalableDimension: 'ec2:spot-fleet-request:TargetCapacity',
      resourceId: `spot-fleet-request/${props.fleetRequestId}`,
      minCapacity: props.minCapacity,
      maxCapacity: props.maxCapacity,
    });
    const policy = this.scalableTarget.scaleToTrackMetric('RequestsPerTarget', {
      targetValue: props.requestsPerTarget,
      predefinedMetric: appscaling.PredefinedMetric.ALB_REQUEST_COUNT_PER_TARGET,
      resourceLabel: `${props.loadBalancer.loadBalancerFullName}/${props.targetGroup.targetGroupFullName}`,
      scaleOutCooldown: props.scaleOutCooldown,
      scaleInCooldown: props.scaleInCooldown,
    });
    // ALBRequestCountPerTarget is defined only once the target group is attached to the load balancer (a listener
    // forwards to it); without this dependency CloudFormation may create the policy first and the call fails. CDK's
    // own scaleOnRequestCount adds the same dependency (on `loadBalancerAttached`). Application Auto Scaling API
    // reference, PredefinedMetricSpecification, ResourceLabel:
    // https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PredefinedMetricSpecification.html
    policy.node.addDependency(props.targetGroup.loadBalancerAttached);
  }
}
