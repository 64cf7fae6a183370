/**
 * Terminal output that fits the terminal. A line wider than the terminal wraps, and a redraw that counts lines
 * then leaves the wrapped rest of the previous frame behind (stale rows above the live frame); so every live
 * frame is cut to the terminal's width and height before it is drawn.
 */
import { setTimeout as delay } from 'node:timers/promises';
import sliceAnsi from 'slice-ansi';
import stripAnsi from 'strip-ansi';

/** Columns a line takes on screen: colours and other escape sequences take none. */
export function visibleWidth(line: string): number {
  return stripAnsi(line).length;
}

/** `line` cut to `width` columns, ending in … when cut; colours survive the cut (slice-ansi closes them). */
export function fitLine(line: string, width: number): string {
  if (width <= 0) return '';
  if (visibleWidth(line) <= width) return line;
  return `${sliceAnsi(line, 0, width - 1)}…`;
}

/**
 * A frame as at most `rows` lines of at most `columns` columns. When it is taller, the last line kept says how
 * many were left out, so a short terminal shows the top of the frame and knows there is more.
 */
export function fitFrame(text: string, columns: number, rows: number): string[] {
  const lines = text.split('\n').map((l) => fitLine(l, columns));
  if (rows <= 0) return [];
  if (lines.length <= rows) return lines;
  const kept = lines.slice(0, rows - 1);
  return [...kept, fitLine(`… ${lines.length - kept.length} more line(s): enlarge the terminal to see them`, columns)];
}

/**
 * Waits `ms`, or less when `signal` aborts. Node's timer removes its abort listener when it fires: one listener
 * added per wait and never removed is what made a long `--watch` trip MaxListenersExceededWarning, printed into
 * the display.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  await delay(ms, undefined, signal ? { signal } : undefined).catch((err: Error) => {
    if (err.name !== 'AbortError') throw err;
  });
}

type Tty = NodeJS.WritableStream & { columns?: number; rows?: number; on?(event: 'resize', listener: () => void): unknown; off?(event: 'resize', listener: () => void): unknown };

const ALT_SCREEN_ON = '\x1b[?1049h';
const ALT_SCREEN_OFF = '\x1b[?1049l';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const HOME = '\x1b[H';
const ERASE_LINE = '\x1b[2K';
const ERASE_BELOW = '\x1b[J';

/**
 * A full-screen live view, as `watch` and `top` draw one: the terminal's alternate screen, repainted whole from
 * its top-left corner for each frame (so nothing another writer left on it survives the next frame), redrawn at
 * once when the terminal is resized. `close()` returns to the normal screen and prints the last frame there.
 */
export class FullScreen {
  private render?: (columns: number, rows: number) => string;
  private lastText = '';
  private open = false;
  private readonly onResize = (): void => this.paint();

  constructor(private readonly stream: Tty) {}

  get columns(): number {
    return this.stream.columns ?? 80;
  }

  get rows(): number {
    return this.stream.rows ?? 24;
  }

  /** Draws the frame `render` returns for the terminal's size now, and again on each resize. */
  draw(render: (columns: number, rows: number) => string): void {
    if (!this.open) {
      this.stream.write(ALT_SCREEN_ON + HIDE_CURSOR);
      this.stream.on?.('resize', this.onResize);
      this.open = true;
    }
    this.render = render;
    this.paint();
  }

  private paint(): void {
    if (!this.render || !this.open) return;
    this.lastText = this.render(this.columns, this.rows);
    const lines = fitFrame(this.lastText, this.columns, this.rows);
    // Each row erased then written; the cursor never goes below the last row, so the screen never scrolls.
    const body = lines.map((l) => ERASE_LINE + l).join('\r\n');
    this.stream.write(HOME + body + (lines.length < this.rows ? `\r\n${ERASE_BELOW}` : ''));
  }

  close(): void {
    if (!this.open) return;
    this.stream.off?.('resize', this.onResize);
    this.stream.write(SHOW_CURSOR + ALT_SCREEN_OFF);
    this.open = false;
    if (this.lastText) this.stream.write(`${this.lastText.split('\n').map((l) => fitLine(l, this.columns)).join('\n')}\n`);
  }
}
