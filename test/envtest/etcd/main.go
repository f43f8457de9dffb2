// Command etcd is the upstream etcd server main (go.etcd.io/etcd/server/v3/etcdmain) at the
// version pinned in go.mod, for the envtest harness.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
