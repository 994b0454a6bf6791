package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/store/storetest"
)

func TestCheckName(t *testing.T) {
	for _, s := range storetest.GoodNames {
		if err := store.CheckName("tenant", s); err != nil {
			t.Errorf("CheckName(%q) = %v, want nil", s, err)
		}
	}
	for s, why := range storetest.BadNames {
		err := store.CheckName("deployment id", s)
		if !errors.Is(err, store.ErrBadName) || fault.KindOf(err) != fault.Input || fault.ExitCode(err) != 2 {
			t.Errorf("CheckName(%s) = %v, want an ErrBadName input error", why, err)
		}
	}
}

func TestCheckNameMessages(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", `tenant "": invalid name: empty`},
		{".git", `tenant ".git": invalid name: starts with '.'`},
		{"a/b", `tenant "a/b": invalid name: character '/' at offset 1 is not allowed (letters, digits, '.', '_', '-' only)`},
		{"a\x00", `tenant "a\x00": invalid name: character '\x00' at offset 1 is not allowed (letters, digits, '.', '_', '-' only)`},
		{strings.Repeat("x", 129), `tenant "` + strings.Repeat("x", 40) + `...": invalid name: longer than 128 characters`},
	} {
		if err := store.CheckName("tenant", c.in); err == nil || err.Error() != c.want {
			t.Errorf("CheckName(%q) = %v, want %s", c.in, err, c.want)
		}
	}
}

func TestSentinels(t *testing.T) {
	ref := store.Ref{Tenant: "acme", Deployment: "d1"}
	if err := store.ExistsError(ref); err.Error() != "deployment acme/d1 already exists" || fault.HTTPStatus(err) != 409 || fault.ExitCode(err) != 1 {
		t.Errorf("ExistsError = %q (HTTP %d, exit %d)", err, fault.HTTPStatus(err), fault.ExitCode(err))
	}
	if err := store.NotExistError(ref); err.Error() != "deployment acme/d1 does not exist" || fault.HTTPStatus(err) != 404 {
		t.Errorf("NotExistError = %q (HTTP %d)", err, fault.HTTPStatus(err))
	}
	if errors.Is(store.ExistsError(ref), store.ErrNotExist) || errors.Is(store.NotExistError(ref), store.ErrExist) {
		t.Error("sentinels match each other")
	}
}
