package coaching_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/valmennus/valmennus/coaching"
)

// maxEngineMethods is the kernel's budget of exported Engine methods
// (issue 13): the transition path, the policy-scoped extension points and
// the engine's few accessors. A feature's commands and reads belong on a
// feature package over Engine.Read, Write, ReadCase and ChangeCase (and
// the kernel's own small reads on Scope, CaseView and CaseChange), not on
// the Engine.
const maxEngineMethods = 15

// The Engine stays within its budget of exported methods.
func TestEngineSurface(t *testing.T) {
	typ := reflect.TypeFor[*coaching.Engine]()
	var names []string
	for i := range typ.NumMethod() {
		names = append(names, typ.Method(i).Name)
	}
	slices.Sort(names)
	if len(names) > maxEngineMethods {
		t.Fatalf("coaching.Engine has %d exported methods, at most %d are allowed: %s", len(names), maxEngineMethods, strings.Join(names, ", "))
	}
	for _, m := range []string{"Enrol", "Fire", "Tick", "ReadCase", "ChangeCase", "Read", "Write", "In"} {
		if !slices.Contains(names, m) {
			t.Errorf("coaching.Engine lost %s, a method of the kernel's surface", m)
		}
	}
}
