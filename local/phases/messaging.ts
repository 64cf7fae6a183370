import { createStackEventBus, type StackEventBus } from '../events/stack-targets.js';
import { NotificationInbox, notificationLine, type TopicNotification } from '../notifications.js';
import { startPhase, type Started } from '../teardown.js';
import type { PhaseContext } from './phase-context.js';

export interface MessagingProps extends PhaseContext {
  /** The topic a person subscribes to: its notifications are printed. */
  readonly topicArn: string;
  /** Deliver events to the stack's functions (off shows what the handler prevents). */
  readonly invokeFunctions: boolean;
  /** Execution environments per function at most. @default 8 (DEFAULT_MAX_CONCURRENCY) */
  readonly lambdaConcurrency?: number;
  /**
   * Shows a notification the topic's subscriber received (the local cloud folds the alarms' start-up OK notifications).
   * @default one `NOTIFICATION …` line on `log` (notificationLine)
   */
  readonly showNotification?: (notification: TopicNotification) => void;
}

export interface Messaging {
  /** EventBridge's default bus wired to the stack's rules, functions, topics and dead-letter queues. */
  readonly events: StackEventBus;
  /** A person's inbox for the topic. */
  readonly notifications: NotificationInbox;
}

/**
 * EventBridge → Lambda and SNS, as the stack's rules route them (with EventBridge's and Lambda's retries and
 * dead-letter queues), and the topic's subscriber: each notification printed as one line.
 */
export function startMessaging(props: MessagingProps): Promise<Started<Messaging>> {
  const { stack, clock, log } = props;
  return startPhase(async (teardown) => {
    const events = createStackEventBus({
      deployed: stack.deployed,
      assemblyDir: stack.synth.assemblyDir,
      clients: stack.clients,
      endpoint: stack.endpoint,
      region: props.region,
      roleSessions: stack.iam.sessions,
      clock,
      invokeFunctions: props.invokeFunctions,
      ...(props.lambdaConcurrency !== undefined && { lambdaConcurrency: props.lambdaConcurrency }),
      log,
      verbose: props.verbose,
    });
    teardown.add(() => events.close());
    // The message came from outside (whoever published): one printable line.
    const notifications = new NotificationInbox(props.showNotification ?? ((n) => log(notificationLine(n, clock))));
    teardown.add(() => notifications.close());
    await notifications.subscribe(stack.clients.sns, props.topicArn);
    return { events, notifications };
  });
}
