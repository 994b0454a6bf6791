// Command netceiling is the ceiling of any net/http server for scripts/bench-serve: it answers every
// request with one file's bytes, read once at start, with no authentication, logging or metrics.
//
//	go run ./scripts/netceiling ADDR FILE
package main

import (
	"log"
	"net/http"
	"os"
	"strconv"
)

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: netceiling ADDR FILE")
	}
	b, err := os.ReadFile(os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	length := strconv.Itoa(len(b))
	log.Fatal(http.ListenAndServe(os.Args[1], http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{length}
		_, _ = w.Write(b)
	})))
}
