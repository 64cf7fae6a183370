/**
 * An error meant for a user: its message names what went wrong and says what to do, so entry points print the
 * message alone, without a stack trace. Anything else is a bug and keeps its stack.
 */
export class UserError extends Error {}
