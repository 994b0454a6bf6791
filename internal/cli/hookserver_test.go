package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

type hookServer struct {
	*httptest.Server
	mu sync.Mutex
	n  int
}

// newHookServer answers GET /ready and counts JSON posts to /hook.
func newHookServer(t *testing.T) *hookServer {
	h := &hookServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("POST /hook", func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil || m["message"] == nil {
			http.Error(w, "want a JSON message", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.n++
		h.mu.Unlock()
	})
	h.Server = httptest.NewServer(mux)
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) posts() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}
