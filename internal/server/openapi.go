package server

import (
	_ "embed"
	"net/http"
	"slices"
)

// OpenAPI is the API's OpenAPI 3.1 document (openapi.json beside this file), served at
// /api/v1/openapi.json. TestOpenAPI fails when a route is missing from it or a documented route does not
// answer as documented.
//
//go:embed openapi.json
var OpenAPI []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(OpenAPI)
}

// Routes are the API's route patterns ("METHOD /path/{param}"), sorted.
func (s *Server) Routes() []string {
	out := slices.Clone(s.routes)
	slices.Sort(out)
	return out
}
