package coaching_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The core packages never import an adapter or a database driver (DESIGN.md):
// hosts that use the memory store or their own adapter must not pull in pgx
// or SQLite, and the core must not grow a dependency on one store.
func TestCorePackagesImportNoAdapterOrDriver(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	// Every core package and every feature package under coaching/ (the
	// test kit coachingtest excepted: it runs the memory store for hosts'
	// tests).
	list := exec.Command(goBin, "list", "./coaching/...", "./hoks/...", "./pathway/...", "./outcomes/...", "./sis/...")
	list.Dir = root
	listed, err := list.Output()
	require.NoError(t, err, "go list failed")
	var pkgs []string
	for _, p := range strings.Fields(string(listed)) {
		if !strings.HasSuffix(p, "/coachingtest") {
			pkgs = append(pkgs, p)
		}
	}
	require.Contains(t, pkgs, "github.com/valmennus/valmennus/coaching")
	require.Contains(t, pkgs, "github.com/valmennus/valmennus/sis")
	// The feature packages on the kernel.
	for _, f := range []string{"session", "referral", "attendance", "consent", "erasure", "caseload", "absence", "message", "contactchange"} {
		require.Contains(t, pkgs, "github.com/valmennus/valmennus/coaching/"+f)
	}
	cmd := exec.Command(goBin, append([]string{"list", "-deps"}, pkgs...)...)
	cmd.Dir = root
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go list -deps failed: %s", stderr.String())
	forbidden := []string{
		"github.com/valmennus/valmennus/adapters",
		"github.com/valmennus/valmennus/examples",
		"github.com/jackc/", "modernc.org/sqlite", "github.com/mattn/", "github.com/lib/pq",
		"github.com/go-sql-driver/", "github.com/emersion/",
	}
	deps := strings.Fields(string(out))
	require.NotEmpty(t, deps)
	for _, d := range deps {
		// database/sql itself means a core package talks to a database;
		// database/sql/driver is only interfaces (shopspring/decimal
		// implements driver.Valuer), so it is allowed.
		if d == "database/sql" {
			t.Errorf("a core package (%s) depends on database/sql", strings.Join(pkgs, ", "))
		}
		for _, f := range forbidden {
			if strings.HasPrefix(d, f) {
				t.Errorf("a core package (%s) depends on %s", strings.Join(pkgs, ", "), d)
			}
		}
	}
}
