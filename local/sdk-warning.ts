/**
 * The AWS SDK warns on Node 20 that SDK releases from 2027 on will need Node 22. The versions this project pins
 * run on Node 20 (the README says so); the warning would only clutter the start-up and CLI output, so the
 * process entry points turn it off. A variable already set by the user wins.
 */
export function silenceSdkNodeVersionWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
