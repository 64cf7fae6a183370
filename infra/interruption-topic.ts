import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface InterruptionTopicProps {
  /** Subscribed to the topic when set. @default no subscription */
  readonly notificationEmail?: string;
}

/** What an EventBridge rule delivering to the topic is given: its input, retries and dead-letter queue. */
export type TopicTargetProps = Omit<targets.SnsTopicProps, 'authorizeUsingRole' | 'role'>;

/**
 * What SNS asks KMS for, with the publisher's permissions, when it publishes to an SSE-KMS topic
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
 */
const PUBLISH_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];
/** The same for an AWS service as publisher, in the form AWS's pages give for the key policy (links above). */
const SERVICE_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey*'];

/**
 * The topic that tells a human about interruptions, encrypted at rest with a customer-managed key (rotated
 * yearly). The AWS-managed `alias/aws/sns` key would not do: its key policy cannot be edited, so neither
 * EventBridge nor CloudWatch alarms could publish
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services,
 * https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns).
 *
 * Each service principal may publish only on behalf of this account: EventBridge for the one rule that binds
 * `ruleTarget` (`aws:SourceArn` in the topic policy), CloudWatch for this account's alarms. Publishers in the
 * account get nothing from the key policy beyond IAM delegation; `grantPublish` gives a role exactly
 * `sns:Publish` on the topic and `kms:GenerateDataKey`/`kms:Decrypt` on the key.
 */
export class InterruptionTopic extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: InterruptionTopicProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      description: 'spotweb: encrypts the Spot interruption topic',
      enableKeyRotation: true,
      // Removed with the stack like everything else it owns; KMS waits the pending window before deleting.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // 'Default': the topic keeps the logical id it had before this construct wrapped it (no replacement).
    this.topic = new sns.Topic(this, 'Default', {
      displayName: 'spotweb Spot interruptions',
      enforceSSL: true,
      masterKey: this.key,
    });
    if (props.notificationEmail) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.notificationEmail));
    }

    // CloudWatch alarms of this account may notify through the topic; the alarm is the source
    // (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger).
    this.allowService('cloudwatch.amazonaws.com', {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      },
    });
  }

  /** Lets `grantee` publish: `sns:Publish` on the topic, and the two KMS actions SNS needs on its key. */
  grantPublish(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: PUBLISH_KEY_ACTIONS, resources: [this.key.keyArn] }),
    );
  }

  /**
   * A rule target that publishes to the topic. Unlike `targets.SnsTopic`, which grants `events.amazonaws.com`
   * with no condition, the topic policy names the binding rule and this account, so no other rule, in any
   * account, can make EventBridge publish here.
   */
  ruleTarget(props: TopicTargetProps): events.IRuleTarget {
    return {
      bind: (rule: events.IRule): events.RuleTargetConfig => {
        const account = Stack.of(rule).account;
        this.topic.addToResourcePolicy(
          new iam.PolicyStatement({
            principals: [new iam.ServicePrincipal('events.amazonaws.com')],
            actions: ['sns:Publish'],
            resources: [this.topic.topicArn],
            conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn }, StringEquals: { 'aws:SourceAccount': account } },
          }),
        );
        // The key policy cannot name the rule: the rule refers to the topic, the topic to the key, so the key
        // referring to the rule is a cycle CloudFormation refuses. It names this account's rules in this region;
        // the topic policy above is what limits publishing to this rule.
        this.key.addToResourcePolicy(
          new iam.PolicyStatement({
            principals: [new iam.ServicePrincipal('events.amazonaws.com')],
            actions: SERVICE_KEY_ACTIONS,
            resources: ['*'],
            conditions: {
              StringEquals: { 'aws:SourceAccount': account },
              ArnLike: { 'aws:SourceArn': Stack.of(rule).formatArn({ service: 'events', resource: 'rule', resourceName: '*' }) },
            },
          }),
        );
        if (props.deadLetterQueue) targets.addToDeadLetterQueueResourcePolicy(rule, props.deadLetterQueue);
        return { ...targets.bindBaseTargetConfig(props), arn: this.topic.topicArn, input: props.message, targetResource: this.topic };
      },
    };
  }

  /** Lets an AWS service publish to the topic and use the key for it, under `conditions` on both. */
  private allowService(service: string, conditions: Record<string, Record<string, unknown>>): void {
    const principals = [new iam.ServicePrincipal(service)];
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({ principals, actions: ['sns:Publish'], resources: [this.topic.topicArn], conditions }),
    );
    this.key.addToResourcePolicy(new iam.PolicyStatement({ principals, actions: SERVICE_KEY_ACTIONS, resources: ['*'], conditions }));
  }
}
