// Command openapigen writes adapters/httpapi/openapi.json from the
// hand-written openapi.base.json and the payload types of
// httpapi.DefaultModels (see package openapigen). go generate runs it in
// adapters/httpapi:
//
//	go generate ./adapters/httpapi
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/valmennus/valmennus/adapters/httpapi"
	"github.com/valmennus/valmennus/adapters/httpapi/internal/openapigen"
)

func main() {
	base := flag.String("base", "openapi.base.json", "the hand-written base document")
	out := flag.String("out", "openapi.json", "the document to write")
	flag.Parse()
	if err := run(*base, *out); err != nil {
		fmt.Fprintln(os.Stderr, "openapigen:", err)
		os.Exit(1)
	}
}

func run(basePath, outPath string) error {
	base, err := os.ReadFile(basePath)
	if err != nil {
		return err
	}
	models, err := httpapi.DefaultModels()
	if err != nil {
		return err
	}
	doc, err := openapigen.Generate(&openapigen.Options{Base: base, Models: models})
	if err != nil {
		return err
	}
	return os.WriteFile(outPath, doc, 0o644)
}
