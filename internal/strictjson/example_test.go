package strictjson_test

import (
	"errors"
	"fmt"

	"github.com/valmennus/valmennus/internal/strictjson"
)

// A request with every problem reported at once, each at its JSON path,
// and a custom decoder for a type of the caller's.
func ExampleDecode() {
	type mark struct {
		Date    string `json:"date"`
		Minutes int    `json:"minutes"`
	}
	type request struct {
		Group string `json:"group"`
		Marks []mark `json:"marks"`
	}
	data := []byte(`{"group": null, "marks": [{"date": "2024-04-02", "minutes": 45.5}, {"date": 20240403, "late": true}]}`)

	var req request
	err := strictjson.Decode(data, &req, nil)
	var se *strictjson.Error
	if errors.As(err, &se) {
		for _, p := range se.Problems {
			fmt.Printf("%s (%s)\n", p, p.Code)
		}
	}
	// Output:
	// group: must be a string, got null (null)
	// marks[0].minutes: must be a whole number, got 45.5 (not an integer)
	// marks[1].date: must be a string, got a number (wrong type)
	// marks[1].late: unknown member "late" (unknown member)
}

// What differs between callers is an Options value: here null is allowed,
// 5.0 is an integer, and a custom decoder reads a type of the caller's.
func ExampleFunc() {
	type grade int
	grades := strictjson.Func("a grade 1–5", func(v strictjson.Value) (grade, error) {
		if v.Type() != strictjson.Number {
			return 0, strictjson.ErrWrongType
		}
		switch v.Text() {
		case "1", "2", "3", "4", "5":
			return grade(v.Text()[0] - '0'), nil
		}
		return 0, fmt.Errorf("%s is not a grade", v.Text())
	})
	opts := &strictjson.Options{AllowNull: true, IntegralNumbers: true, Custom: []strictjson.Custom{grades}}

	var out struct {
		Grades  []grade `json:"grades"`
		Credits int     `json:"credits"`
		Note    *string `json:"note"`
	}
	err := strictjson.Decode([]byte(`{"grades": [5, 3, "4", 7], "credits": 5.0, "note": null}`), &out, opts)
	fmt.Println(err)
	fmt.Println(out.Grades, out.Credits, out.Note)
	// Output:
	// strictjson: grades[2]: must be a grade 1–5, got a string; grades[3]: 7 is not a grade
	// [5 3 0 0] 5 <nil>
}
