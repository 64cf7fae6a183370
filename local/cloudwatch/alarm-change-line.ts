/**
 * An alarm's state change as one terminal line: `  ALARM STATE <name>: <old> → <new> (<reason>)`. CloudWatch's
 * reasons run to a few hundred characters (the datapoints with their times), so on a terminal the reason is cut
 * to fit; the name and both states never are. Where a long name leaves the reason less than a few words, the
 * "ALARM STATE" label goes first (the states say what the line is); only a name and states wider than the terminal
 * themselves make a line that wraps. The full reason stays in DescribeAlarms and
 * `npm run cli -- status --json`. Pure.
 */
import { printableLine } from '../printable.js';

/** The "ALARM STATE" label stays while it leaves the reason this much: enough to tell "Threshold Crossed" from "Insufficient Data". */
const MIN_REASON = 12;
/** The reason's start a line keeps when the name and states alone fill the terminal (the line then wraps). */
const MIN_START = 8;

export interface AlarmChangeText {
  readonly alarmName: string;
  readonly oldState: string;
  readonly newState: string;
  readonly reason: string;
}

/**
 * @param columns the terminal's width; undefined (not a terminal: a log file, a pipe) keeps the whole reason.
 * @returns one line without control characters; wider than `columns` only when the name and states alone are.
 */
export function alarmChangeLine(change: AlarmChangeText, columns?: number): string {
  const head = `${printableLine(change.alarmName)}: ${printableLine(change.oldState)} → ${printableLine(change.newState)}`;
  const reason = printableLine(change.reason);
  const labelled = `  ALARM STATE ${head}`;
  if (columns === undefined) return `${labelled} (${reason})`;
  // " (" + reason + ")"; printableLine counts its "…" within the length it is given.
  const room = (prefix: string): number => columns - prefix.length - 3;
  const prefix = room(labelled) >= Math.min(MIN_REASON, reason.length) ? labelled : `  ${head}`;
  // Two characters are a letter and the "…": below that the line cannot fit, and keeps a readable start instead.
  return `${prefix} (${printableLine(reason, room(prefix) >= 2 ? room(prefix) : MIN_START)})`;
}
