package httpapi

// openapi.json is generated: the hand-written openapi.base.json with the
// payload schemas of DefaultModels' events made from their Go types.
// TestOpenAPIIsGenerated fails when the committed file differs.
//go:generate go run ./internal/openapigen/cmd/openapigen
