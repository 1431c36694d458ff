package outcomes

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A cell a spreadsheet would read as a formula gets a leading apostrophe;
// a whole number, even a signed one, stays as it is.
func TestCSVSafeDefusesFormulas(t *testing.T) {
	in := []string{"-1.5", "+2", "12", "-1+1", "+1+1", "-2-cmd|' /C calc'!A0", "=SUM(A1)", "@x", "\tx", "-Inf", "NaN", "Mäkinen", ""}
	want := []string{"-1.5", "+2", "12", "'-1+1", "'+1+1", "'-2-cmd|' /C calc'!A0", "'=SUM(A1)", "'@x", "'\tx", "'-Inf", "NaN", "Mäkinen", ""}
	assert.Equal(t, want, csvSafe(in))
}
