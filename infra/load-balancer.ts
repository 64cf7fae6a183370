import { Duration, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';

export interface WebLoadBalancerProps {
  readonly vpc: ec2.IVpc;
  /** Port the instance app listens on. */
  readonly appPort: number;
  readonly healthCheckPath: string;
  readonly healthCheckInterval: Duration;
  readonly healthCheckTimeout: Duration;
  readonly healthyThresholdCount: number;
  readonly unhealthyThresholdCount: number;
  /** How long a deregistered target keeps serving in-flight requests. */
  readonly deregistrationDelay: Duration;
  /**
   * Connection idle timeout (`idle_timeout.timeout_seconds`), for client and target connections alike. The
   * instance app's keep-alive timeout must be above it (userdata/app/keep-alive.ts).
   */
  readonly idleTimeout: Duration;
  /** When set, HTTPS on 443 with this ACM certificate, and port 80 redirects to it. */
  readonly certificateArn?: string;
}

/**
 * Internet-facing ALB and the instance target group the Spot Fleet registers into, plus the instances'
 * security group, which admits the app port from the ALB and nothing else.
 */
export class WebLoadBalancer extends Construct {
  readonly alb: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly instanceSecurityGroup: ec2.SecurityGroup;
  /** The URL users browse to. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: WebLoadBalancerProps) {
    super(scope, id);
    const https = props.certificateArn !== undefined;

    const albSecurityGroup = new ec2.SecurityGroup(this, 'AlbSecurityGroup', {
      vpc: props.vpc,
      description: 'spotweb ALB: HTTP(S) from the internet',
      allowAllOutbound: false,
    });
    albSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP from the internet');
    if (https) albSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS from the internet');
    Validations.of(albSecurityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason: 'The ALB is the public entry point of a public web app; only 80/443 are open, instances are not.',
    });

    this.instanceSecurityGroup = new ec2.SecurityGroup(this, 'InstanceSecurityGroup', {
      vpc: props.vpc,
      description: 'spotweb instances: app port from the ALB only',
      // Outbound stays open: instances install Node from the distribution's repositories at boot.
      allowAllOutbound: true,
    });
    this.instanceSecurityGroup.addIngressRule(albSecurityGroup, ec2.Port.tcp(props.appPort), 'App port from the ALB');
    albSecurityGroup.addEgressRule(this.instanceSecurityGroup, ec2.Port.tcp(props.appPort), 'To the instances');

    this.alb = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc: props.vpc,
      internetFacing: true,
      securityGroup: albSecurityGroup,
      dropInvalidHeaderFields: true,
      idleTimeout: props.idleTimeout,
    });
    Validations.of(this.alb).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason:
        'Access logs need an S3 bucket policy naming the ELB log-delivery account of one region, which this ' +
        'environment-agnostic template cannot know. Request counts, 5xx counts and latency per target are in ' +
        'CloudWatch metrics, which the fleet autoscaling already uses.',
    });

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      vpc: props.vpc,
      targetType: elbv2.TargetType.INSTANCE,
      protocol: elbv2.ApplicationProtocol.HTTP,
      port: props.appPort,
      deregistrationDelay: props.deregistrationDelay,
      healthCheck: {
        path: props.healthCheckPath,
        interval: props.healthCheckInterval,
        timeout: props.healthCheckTimeout,
        healthyThresholdCount: props.healthyThresholdCount,
        unhealthyThresholdCount: props.unhealthyThresholdCount,
        healthyHttpCodes: '200',
      },
    });

    if (https) {
      this.alb.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn!)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        defaultTargetGroups: [this.targetGroup],
        open: false,
      });
      this.alb.addRedirect({ sourcePort: 80, targetPort: 443, open: false });
      this.url = `https://${this.alb.loadBalancerDnsName}`;
    } else {
      this.alb.addListener('Http', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        defaultTargetGroups: [this.targetGroup],
        open: false,
      });
      this.url = `http://${this.alb.loadBalancerDnsName}`;
    }
  }
}
