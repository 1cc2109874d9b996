// Command floor is the benchmark floor: the least a front door can be. As a
// custom handler (FUNCTIONS_CUSTOMHANDLER_PORT) it is a bare net/http server;
// under a Lambda Runtime API (AWS_LAMBDA_RUNTIME_API) it is a bare
// next/response loop. No SDKs, no tenantops code.
package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
)

func main() {
	if api := os.Getenv("AWS_LAMBDA_RUNTIME_API"); api != "" {
		base := "http://" + api + "/2018-06-01/runtime/invocation/"
		for {
			resp, err := http.Get(base + "next")
			if err != nil {
				os.Exit(1)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
			r, err := http.Post(base+id+"/response", "application/json", bytes.NewReader(body))
			if err != nil {
				os.Exit(1)
			}
			r.Body.Close()
		}
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ready"}`))
	})
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("FUNCTIONS_CUSTOMHANDLER_PORT"), nil); err != nil {
		os.Exit(1)
	}
}
