package outcomes

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/pathway"
)

// The ESF result mapping covers every destination once, and agrees with
// pathway's single labour status where that status decides: employed is
// employment, unemployed is job searching, in education is education or
// training, and a status pathway leaves unknown stays undecided.
func TestResultMappingAgreesWithLabourStatus(t *testing.T) {
	for _, k := range pathway.Kinds() {
		r, decided := resultOf(k)
		declared := 0
		for _, list := range [][]pathway.Kind{resultNone, resultUndecided} {
			for _, x := range list {
				if x == k {
					declared++
				}
			}
		}
		if r != 0 {
			declared++
		}
		assert.Equal(t, 1, declared, "%s is declared once", k)
		assert.False(t, r&resultJobSearching != 0 && r&resultEmployment != 0, "%s: job searching and employment exclude each other", k)
		ls := k.LabourStatus()
		assert.Equal(t, ls != coaching.LabourUnknown, decided, k)
		assert.Equal(t, ls == coaching.LabourEmployed, r&resultEmployment != 0, k)
		assert.Equal(t, ls == coaching.LabourUnemployed, r&resultJobSearching != 0, k)
		if ls == coaching.LabourInEducation {
			assert.NotZero(t, r&resultEducation, k)
		}
	}
}

// Every education level is counted in exactly one VALO education row,
// and every destination group in exactly one destination row.
func TestVALODeclarationsCoverEveryCategory(t *testing.T) {
	levels := []coaching.EducationLevel{coaching.EducationBelowBasic, coaching.EducationBasic, coaching.EducationGeneralUpperSecondary,
		coaching.EducationVocational, coaching.EducationSpecialistVocational, coaching.EducationHigher}
	for _, l := range levels {
		n := 0
		for _, d := range valoRows {
			for _, x := range d.levels {
				if x == l {
					n++
				}
			}
		}
		assert.Equal(t, 1, n, l)
		_, _, ok := l.ISCED()
		assert.True(t, ok, "%s is a known level", l)
	}
	for _, k := range pathway.Kinds() {
		n := 0
		for _, d := range valoRows {
			for _, g := range d.groups {
				if g == k.Group() {
					n++
				}
			}
		}
		assert.Equal(t, 1, n, k)
	}
}
