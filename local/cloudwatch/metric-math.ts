/**
 * The arithmetic part of CloudWatch metric math, for one period: metric ids, numbers, + - * /, unary minus and
 * parentheses (CloudWatch user guide, "Using math expressions with CloudWatch metrics"). A metric without a
 * datapoint in the period makes the result missing, as time series arithmetic has no value at that time.
 * Functions (FILL, SUM, IF…) are not played locally: such an expression is refused with an error naming it.
 */

export type ExpressionValues = Record<string, number | undefined>;

export class MetricMathError extends Error {
  constructor(expression: string, message: string) {
    super(`metric math "${expression}": ${message}`);
    this.name = 'MetricMathError';
  }
}

const TOKEN = /\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/()]))/y;

type Token = { kind: 'number'; value: number } | { kind: 'id'; name: string } | { kind: 'op'; op: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.length) {
    if (/^\s*$/.test(expression.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(expression);
    if (!m) throw new MetricMathError(expression, `unexpected "${expression.slice(at, at + 10)}"`);
    if (m[1] !== undefined) tokens.push({ kind: 'number', value: Number(m[1]) });
    else if (m[2] !== undefined) tokens.push({ kind: 'id', name: m[2] });
    else tokens.push({ kind: 'op', op: m[3]! });
  }
  return tokens;
}

/** Evaluates the expression for one period; undefined when a metric it uses has no datapoint. */
export function evaluateExpression(expression: string, values: ExpressionValues): number | undefined {
  const tokens = tokenize(expression);
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const isOp = (op: string): boolean => {
    const t = peek();
    return t?.kind === 'op' && t.op === op;
  };

  // expr := term (('+'|'-') term)* ; term := unary (('*'|'/') unary)* ; unary := '-' unary | atom
  const expr = (): number | undefined => {
    let left = term();
    while (isOp('+') || isOp('-')) {
      const op = (tokens[i++] as { op: string }).op;
      const right = term();
      left = left === undefined || right === undefined ? undefined : op === '+' ? left + right : left - right;
    }
    return left;
  };
  const term = (): number | undefined => {
    let left = unary();
    while (isOp('*') || isOp('/')) {
      const op = (tokens[i++] as { op: string }).op;
      const right = unary();
      // Division by zero has no value in metric math; the datapoint is dropped.
      left = left === undefined || right === undefined ? undefined : op === '*' ? left * right : right === 0 ? undefined : left / right;
    }
    return left;
  };
  const unary = (): number | undefined => {
    if (isOp('-')) {
      i++;
      const v = unary();
      return v === undefined ? undefined : -v;
    }
    return atom();
  };
  const atom = (): number | undefined => {
    const t = tokens[i++];
    if (t === undefined) throw new MetricMathError(expression, 'ends too early');
    if (t.kind === 'number') return t.value;
    if (t.kind === 'id') {
      if (isOp('(')) throw new MetricMathError(expression, `function ${t.name}() is not supported locally`);
      if (!(t.name in values)) throw new MetricMathError(expression, `names "${t.name}", which is not a metric of the alarm`);
      return values[t.name];
    }
    if (t.op === '(') {
      const v = expr();
      if (!isOp(')')) throw new MetricMathError(expression, 'a parenthesis is not closed');
      i++;
      return v;
    }
    throw new MetricMathError(expression, `unexpected "${t.op}"`);
  };

  const result = expr();
  if (i !== tokens.length) throw new MetricMathError(expression, 'has something left over after a complete expression');
  return result;
}
