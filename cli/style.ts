import pc from 'picocolors';

export type Style = ReturnType<typeof pc.createColors>;

/** Colours only when the stream is a terminal (and NO_COLOR is not set); scripts and pipes get plain text. */
export function styleFor(stream: { isTTY?: boolean }): Style {
  return pc.createColors(Boolean(stream.isTTY) && !('NO_COLOR' in process.env));
}

/** No colours: for JSON, tests and non-terminals. */
export const plain: Style = pc.createColors(false);
