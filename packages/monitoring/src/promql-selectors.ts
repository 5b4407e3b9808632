import { parser } from '@prometheus-io/lezer-promql';

export interface ParsedPromql {
  /** Syntax errors, each with where it starts: none for a valid expression. */
  errors: string[];
  /** The expression's vector selectors as written (metric name and label matchers): the series it reads. */
  selectors: string[];
}

/**
 * Parses PromQL with the grammar Prometheus's own query editor uses, for the
 * series an expression reads: an expression that legitimately returns nothing
 * (an alert while all is well) still proves each metric it names exists when
 * each of its selectors returns series.
 */
export function parsePromql(expr: string): ParsedPromql {
  const errors: string[] = [];
  const selectors = new Set<string>();
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) errors.push(`syntax error at offset ${node.from}: ${JSON.stringify(expr.slice(node.from, node.from + 20))}`);
      if (node.name !== 'VectorSelector') return true;
      selectors.add(expr.slice(node.from, node.to));
      return false;
    },
  });
  return { errors, selectors: [...selectors] };
}
