/**
 * Turns an ALB success-code matcher (`200`, `200,202`, `200-299`, or a mix) into a predicate.
 * Throws on anything else, since a typo here would silently mark every target unhealthy.
 */
export function parseMatcher(matcher: string): (status: number) => boolean {
  const ranges = matcher.split(',').map((part) => parsePart(part.trim(), matcher));
  return (status) => ranges.some(([low, high]) => status >= low && status <= high);
}

function parsePart(part: string, whole: string): [number, number] {
  const match = /^(\d{3})(?:-(\d{3}))?$/.exec(part);
  if (!match) throw new Error(`bad health check matcher '${whole}': expected e.g. '200', '200,202' or '200-299'`);
  const low = Number(match[1]);
  const high = match[2] === undefined ? low : Number(match[2]);
  if (low < 100 || high > 599 || low > high) {
    throw new Error(`bad health check matcher '${whole}': '${part}' is not a range of HTTP status codes`);
  }
  return [low, high];
}
