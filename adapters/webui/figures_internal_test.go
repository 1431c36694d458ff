package webui

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The CSV's cells never start a formula: a cell beginning with = + - @
// or a tab or carriage return gets a leading apostrophe unless the whole
// cell is a number — "-1+1" begins like one but is a formula.
func TestCSVCellsDefuseFormulas(t *testing.T) {
	for _, c := range []string{"-1+1", "+1+1", "-2-cmd|' /C calc'!A0", "=1", "@SUM(A1)", "\t=1", "-Inf", "-0x1p3", "-1,5,0"} {
		assert.Equal(t, "'"+c, csvCells(c)[0], "%q", c)
	}
	for _, c := range []string{"-1", "+2", "-1.5", "-1,5", "12,5", "0", "Valmentaja", "", "1e3"} {
		assert.Equal(t, c, csvCells(c)[0], "%q is no formula", c)
	}
}
