//go:build !linux

package server

import "errors"

// setCorkFD: TCP_CORK is Linux's; elsewhere answers are written as net/http writes them.
func setCorkFD(uintptr, bool) error { return errors.ErrUnsupported }
