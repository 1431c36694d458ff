package coaching_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/valmennus/valmennus/coaching"
)

// A host writes its process as a JSON document, registers the rule it
// names in Go, loads it and draws it.
func ExampleLoadModel() {
	doc := []byte(`{
  "name": "workshop_trial",
  "initial": "trial",
  "openers": ["coach"],
  "states": [
    {"name": "trial", "kind": "active", "deadline": {"days": 14}},
    {"name": "placed", "kind": "terminal"},
    {"name": "dropped", "kind": "terminal", "exit": "discontinued"}
  ],
  "events": [
    {"name": "place", "from": ["trial"], "to": "placed", "roles": ["coach"], "rules": ["reason_given"]},
    {"name": "drop", "from": ["trial"], "to": "dropped", "roles": ["coach"], "require_reason": true}
  ]
}`)
	reg := coaching.BuiltinRegistry()
	reg.Rules["reason_given"] = coaching.NewRule("reason_given", func(_ context.Context, t *coaching.Transition) error {
		if t.Reason == "" {
			return errors.New("say where the participant was placed")
		}
		return nil
	})
	m, err := coaching.LoadModel(doc, reg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(m.Mermaid())
	// Output:
	// stateDiagram-v2
	//     [*] --> trial
	//     trial --> dropped: drop
	//     trial --> placed: place
}

// Every problem of a document comes back at once, each at its JSON path.
func ExampleLoadModel_problems() {
	doc := []byte(`{
  "name": "workshop_trial",
  "initial": "trial",
  "openers": ["coach"],
  "states": [
    {"name": "trial", "kind": "active", "deadline": {"days": "14"}},
    {"name": "placed", "kind": "terminal", "colour": "green"}
  ],
  "events": [
    {"name": "place", "from": ["trial"], "to": "placed", "roles": ["coach"], "rules": ["reason_given"]}
  ]
}`)
	_, err := coaching.LoadModel(doc, nil)
	var ve *coaching.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Printf("%s: %s\n", p.Field, p.Message)
		}
	}
	// Output:
	// events[0].rules[0]: unknown rule "reason_given" (not in the registry)
	// states[0].deadline.days: must be a whole number, got a string
	// states[1].colour: unknown key "colour"
}

// The built-in models are also JSON documents: what ModelJSON writes for
// them with the built-in registry.
func ExampleModelJSON() {
	doc, err := coaching.ModelJSON(coaching.Pilot(), coaching.BuiltinRegistry())
	if err != nil {
		fmt.Println(err)
		return
	}
	embedded, _ := coaching.BuiltinModelJSON(coaching.ModelPilot)
	fmt.Println(string(doc) == string(embedded))
	m, err := coaching.LoadModel(embedded, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Mermaid() == coaching.Pilot().Mermaid())
	// Output:
	// true
	// true
}
