package webui_test

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/adapters/webui"
	"github.com/valmennus/valmennus/coaching"
)

// The interface mounted under /ui beside a host's own routes, with the
// development sign-in: someone not signed in is sent to sign in, and
// signing in lands on the page they asked for.
func Example() {
	eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}})
	if err != nil {
		panic(err)
	}
	login, err := webui.NewDevLogin([]webui.DevIdentity{{Key: "tutor", Label: "Tiina Tutor (personal tutor)",
		Actor: coaching.Actor{ID: "tutor-1", Name: "Tiina Tutor", Organisation: "org-a", Roles: []coaching.Role{coaching.RolePersonalTutor}}}})
	if err != nil {
		panic(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key) // in production: a secret every instance shares
	ui, err := webui.New(eng, &webui.Options{Prefix: "/ui", SessionKey: key, Login: login})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ui/", ui)

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/ui/", nil))
	fmt.Println(rec.Code, rec.Header().Get("Location"))

	form := url.Values{"identity": {"tutor"}, "lang": {"en"}, "return": {"/ui/"}}
	req := httptest.NewRequest("POST", "/ui/login/callback", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Location"), rec.Result().Cookies()[0].Name)

	page := httptest.NewRequest("GET", "/ui/", nil)
	page.AddCookie(rec.Result().Cookies()[0])
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, page)
	fmt.Println(rec.Code, strings.Contains(rec.Body.String(), "<h1>My caseload</h1>"))
	// Output:
	// 303 /ui/login?return=%2Fui%2F
	// 303 /ui/ __Host-valmennus
	// 200 true
}
