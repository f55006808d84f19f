// Command coredns is the CI cluster's DNS server (scripts/ci-cluster.sh): CoreDNS with only
// the plugins its Corefile uses. There is deliberately no `forward` plugin: pods of the CI
// cluster resolve cluster names only, and nothing is ever sent to the host's resolver.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

// The order in which plugins handle a query: the order of CoreDNS' own plugin.cfg.
func init() {
	dnsserver.Directives = []string{
		"reload", "ready", "health", "errors", "log", "cache", "kubernetes", "loop",
	}
}

func main() { coremain.Run() }
