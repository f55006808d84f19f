// Command promql-metrics parses PromQL expressions with Prometheus' own parser and names the
// metrics each one selects. The monitoring tests (tests/monitoring) use it to check that every
// alert and dashboard query names only metrics of the allow-list (known-metrics.txt).
//
// Input on stdin: a JSON array of expressions. Output on stdout: a JSON array with, for each
// expression, {"expr", "metrics": [names, sorted], "error": parse error or absent}. A selector
// without a fixed metric name (e.g. {job="x"}, or __name__=~"...") is reported as "<any>".
// Exit status 0 when the input was read (parse errors are in the output), 2 otherwise.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

type result struct {
	Expr    string   `json:"expr"`
	Metrics []string `json:"metrics"`
	Error   string   `json:"error,omitempty"`
}

// metricName is the metric a selector names: its name, or an equality matcher on __name__.
func metricName(selector *parser.VectorSelector) string {
	if selector.Name != "" {
		return selector.Name
	}
	for _, matcher := range selector.LabelMatchers {
		if matcher.Name == labels.MetricName && matcher.Type == labels.MatchEqual {
			return matcher.Value
		}
	}
	return "<any>"
}

func main() {
	var exprs []string
	if err := json.NewDecoder(os.Stdin).Decode(&exprs); err != nil {
		fmt.Fprintln(os.Stderr, "promql-metrics: stdin must be a JSON array of PromQL expressions:", err)
		os.Exit(2)
	}
	promql := parser.NewParser(parser.Options{})
	results := make([]result, 0, len(exprs))
	for _, text := range exprs {
		r := result{Expr: text, Metrics: []string{}}
		expr, err := promql.ParseExpr(text)
		if err != nil {
			r.Error = err.Error()
		} else {
			names := map[string]bool{}
			parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
				if selector, ok := node.(*parser.VectorSelector); ok {
					names[metricName(selector)] = true
				}
				return nil
			})
			for name := range names {
				r.Metrics = append(r.Metrics, name)
			}
			sort.Strings(r.Metrics)
		}
		results = append(results, r)
	}
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", "  ")
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, "promql-metrics:", err)
		os.Exit(2)
	}
}
