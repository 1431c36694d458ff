package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/valmennus/valmennus/adapters/webhook"
	"github.com/valmennus/valmennus/coaching"
)

// A host's endpoint receives an attendance digest for a guardian: it
// checks the Standard Webhooks signature with a Verifier before it reads
// anything, and answers 204.
func Example() {
	// The shared secret; make one with webhook.NewSecret and keep it out
	// of the code.
	secret := "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	now := time.Date(2025, 10, 14, 12, 0, 0, 0, time.UTC)
	clock := coaching.ClockFunc(func() time.Time { return now })

	verifier, err := webhook.NewVerifier(&webhook.VerifierOptions{Secrets: []string{secret}, Clock: clock})
	if err != nil {
		fmt.Println(err)
		return
	}

	type delivery struct {
		header   http.Header
		body     []byte
		verified error
	}
	received := make(chan delivery, 1)
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := verifier.VerifyRequest(r)
		received <- delivery{r.Header, body, err}
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer endpoint.Close()

	sender, err := webhook.New(webhook.Options{
		URL:               endpoint.URL + "/hooks/valmennus",
		Secrets:           []string{secret},
		Clock:             clock,
		AllowInsecureHTTP: true, // httptest.NewServer is plain http
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	err = sender.Send(context.Background(), coaching.Notice{
		ID:     "K7QX3VZD2M4HNWTB6YJR5PELCA:3:attendance_digest:g-1",
		CaseID: "K7QX3VZD2M4HNWTB6YJR5PELCA",
		Kind:   "attendance_digest",
		Recipient: coaching.Recipient{
			ID: "g-1", Name: "Åsa Äijälä Öhman", Role: coaching.RoleGuardian,
			Contact: coaching.Contact{Email: "asa.ohman@example.fi"}, Language: coaching.Swedish,
		},
		Subject:   "Frånvaro i dag: Östen Äijälä",
		Body:      "Östen var frånvarande från lektionerna 3–4 i dag.",
		Data:      map[string]string{"date": "2025-10-14", "lessons": "3,4"},
		CreatedAt: now.Add(-3 * time.Hour),
	})
	fmt.Println("Send:", err)

	d := <-received
	id := d.header.Get("webhook-id")
	noticeID, _ := webhook.NoticeID(id)
	fmt.Println("webhook-id:", id)
	fmt.Println("notice:", noticeID)
	fmt.Println("webhook-timestamp:", d.header.Get("webhook-timestamp"))
	fmt.Println("webhook-signature:", d.header.Get("webhook-signature"))
	fmt.Println("signature verified:", d.verified == nil)
	var pretty bytes.Buffer
	_ = json.Indent(&pretty, d.body, "", "  ")
	fmt.Println(pretty.String())
	// Output:
	// Send: <nil>
	// webhook-id: msg_SzdRWDNWWkQyTTRITldUQjZZSlI1UEVMQ0E6MzphdHRlbmRhbmNlX2RpZ2VzdDpnLTE
	// notice: K7QX3VZD2M4HNWTB6YJR5PELCA:3:attendance_digest:g-1
	// webhook-timestamp: 1760443200
	// webhook-signature: v1,OYB3EItiWP6k2l5vn+qYZTDSj3MPsgxCs7oKUxi+e+0=
	// signature verified: true
	// {
	//   "id": "K7QX3VZD2M4HNWTB6YJR5PELCA:3:attendance_digest:g-1",
	//   "kind": "attendance_digest",
	//   "case_id": "K7QX3VZD2M4HNWTB6YJR5PELCA",
	//   "recipient": {
	//     "id": "g-1",
	//     "name": "Åsa Äijälä Öhman",
	//     "role": "guardian",
	//     "contact": {
	//       "email": "asa.ohman@example.fi"
	//     },
	//     "language": "sv"
	//   },
	//   "subject": "Frånvaro i dag: Östen Äijälä",
	//   "body": "Östen var frånvarande från lektionerna 3–4 i dag.",
	//   "data": {
	//     "date": "2025-10-14",
	//     "lessons": "3,4"
	//   },
	//   "created_at": "2025-10-14T09:00:00Z"
	// }
}
