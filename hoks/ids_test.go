package hoks

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOIDs(t *testing.T) {
	learner := map[string]bool{
		"1.2.246.562.24.44651722625":   true, // fixtures
		"1.2.246.562.24.42016337194":   true, // hoks.md §1.9
		"1.2.246.562.24.44651722626":   false,
		"1.2.246.562.24.44651722011":   false, // wrong check digit
		"1.2.246.562.24.4465172201":    false, // too short
		"1.2.246.562.24.446517220110":  true,  // legacy tail "10" = check digit 0
		"1.2.246.562.24.446517220010":  false,
		"1.2.246.562.24.04651722625":   false, // base may not start with 0
		"1.2.246.562.98.76811932029":   true,  // test node: Luhn
		"1.2.246.562.198.76811932029":  true,
		"1.2.246.562.298.76811932029":  true,
		"1.2.246.562.398.76811932029":  false,
		"1.2.246.562.15.76811932029":   false,
		" 1.2.246.562.24.44651722625":  false,
		"1.2.246.562.24.44651722625\n": false,
		"":                             false,
	}
	for oid, want := range learner {
		assert.Equal(t, want, ValidLearnerOID(oid), oid)
	}
	studyRight := map[string]bool{
		"1.2.246.562.15.76811932029":  true,
		"1.2.246.562.15.76811932086":  true,
		"1.2.246.562.15.13312692646":  true,
		"1.2.246.562.15.76811942028":  true,
		"1.2.246.562.15.76811932045":  true,
		"1.2.246.562.15.76811932052":  true,
		"1.2.246.562.15.76811932060":  true,
		"1.2.246.562.15.00000000001":  false, // the schema's own example fails the regex
		"1.2.246.562.15.76811932028":  false,
		"1.2.246.562.15.768119320610": true,
		"1.2.246.562.24.44651722625":  false,
	}
	for oid, want := range studyRight {
		assert.Equal(t, want, ValidStudyRightOID(oid), oid)
	}
	org := map[string]bool{
		"1.2.246.562.10.54453921329":                   true,
		"1.2.246.562.10.10054425555":                   true, // fails Luhn, accepted
		"1.2.246.562.10.00000000001":                   true, // root
		"1.2.246.562.10.2013112012294919827487":        true, // legacy timestamp style
		"1.2.246.562.99.54453921329":                   true,
		"1.2.246.562.199.54453921329":                  true,
		"1.2.246.562.10.0000000001":                    false,
		"1.2.246.562.10.2015112012294919827487":        false,
		"1.2.246.562.24.44651722625":                   false,
		"1.2.246.562.10.544539213290":                  false,
		"1.2.246.562.10.5445392132a":                   false,
		"1.2.246.562.10.54453921329.1":                 false,
		"urn:oid:1.2.246.562.10.54453921329":           false,
		"1.2.246.562.10.544539213210":                  true,
		"1.2.246.562.10.20131120122949198274870000000": false,
	}
	for oid, want := range org {
		assert.Equal(t, want, ValidOrganisationOID(oid), oid)
	}
}

func TestBusinessIDs(t *testing.T) {
	ids := map[string]bool{
		// fixtures
		"1234567-1": true, "0149669-3": true, "2345678-0": true, "3213687-7": true, "2345679-9": true,
		// wrong check digit or shape
		"1234567-2": false, "1234567-0": false, "123456-1": false, "1234567_1": false,
		"12345678-1": false, "1234567-": false, "": false, "１234567-1": false, " 1234567-1": false,
		"0000000-0": true,  // r = 0 ⇒ check digit 0
		"0000001-9": true,  // sum 2, r = 2 ⇒ 11 − 2 = 9
		"0000010-7": true,  // sum 4 ⇒ 7
		"0000010-8": false, //
		"0000005-1": true,  // sum 10 ⇒ 1
		"0000006-1": false, // sum 12, r = 1: never issued
		"0000006-0": false,
	}
	for id, want := range ids {
		assert.Equal(t, want, ValidBusinessID(id), id)
	}
}

func TestInstructorPhone(t *testing.T) {
	assert.True(t, validInstructorPhone("+358 (44) 985-4300"))
	assert.True(t, validInstructorPhone(""))
	assert.False(t, validInstructorPhone("044 985 4300 / työ"))
	long := make([]byte, 257)
	for i := range long {
		long[i] = '1'
	}
	assert.False(t, validInstructorPhone(string(long)))
	assert.True(t, validInstructorPhone(string(long[:256])))
}
