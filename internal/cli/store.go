package cli

import (
	"strings"

	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/store/storeurl"
)

// locator says where a stored set can be found, for printing.
type locator struct {
	url string
	st  store.Store
}

// SetLocation is the set's directory for a local store, the store's own location of the set where it
// has one (s3://BUCKET/PREFIX/T/D, without the URL's query), else the store URL with tenant/deployment.
func (l locator) SetLocation(ref store.Ref) string {
	if p, ok := l.st.(interface{ Path(store.Ref) string }); ok {
		return p.Path(ref)
	}
	if p, ok := l.st.(interface{ Location(store.Ref) string }); ok {
		return p.Location(ref)
	}
	return strings.TrimSuffix(l.url, "/") + "/" + ref.Tenant + "/" + ref.Deployment
}

// openStore opens the artifact store named by a directory or URL.
func openStore(url string) (store.Store, locator, error) {
	st, err := storeurl.Open(url)
	if err != nil {
		return nil, locator{}, err
	}
	return st, locator{url: url, st: st}, nil
}
