// Package web is Stella's read-only web interface for people: environments (a timeline of deployment
// jobs, each target's sticker and drift), a deployment (components, artifacts, "verify now", its
// evidence) and the evidence chain. It is server-rendered HTML (html/template), with its CSS embedded
// and inline: no build step, no external asset, no JavaScript. `stella serve` mounts it under /ui/.
//
// It is a front door like the API and as thin: every read and check is the API's own function
// (internal/server: JobArtifacts, Artifact, VerifyJob, ReadDrift, CheckDriftNow, Authenticate), under
// the same tokens, roles and tenant scoping. Sign-in trades a token posted in a form for a server-side
// session, kept in the metadata database (it outlives a restart; every replica knows it): the cookie
// holds a random session id (HttpOnly, SameSite=Strict, Secure over TLS), the database the id's hash
// and the token's hash, never either; the token is re-checked on every request, so revoking it
// ends its sessions. Every POST carries the session's CSRF token and is refused (403) without it.
package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/server"
)

// Prefix is where the interface lives.
const Prefix = "/ui/"

const (
	sessionCookie = "stella_session"
	signinCookie  = "stella_signin"
	// SessionTTL is how long a session lasts without being used.
	SessionTTL = 8 * time.Hour
	// requestTimeout bounds every database read of a page.
	requestTimeout = 10 * time.Second
)

//go:embed templates/*.html templates/style.css
var assets embed.FS

// Config is what the interface reads from.
type Config struct {
	API *server.Server
	Log *slog.Logger
	// PageSize is the timeline's and the chain's page length (default 25).
	PageSize int
}

// UI is the web interface's http.Handler.
type UI struct {
	api      *server.Server
	db       meta.DB
	log      *slog.Logger
	pageSize int
	pages    map[string]*template.Template
	css      template.CSS
	csp      string
	mux      *http.ServeMux
	sessions sessions
	chains   chains
	drifts   driftCache
	times    times
}

// New builds the interface.
func New(cfg Config) (*UI, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 25
	}
	u := &UI{api: cfg.API, db: cfg.API.DB(), log: cfg.Log, pageSize: cfg.PageSize, mux: http.NewServeMux(), pages: map[string]*template.Template{}}
	u.sessions.db = u.db
	u.chains.m = map[string]*chainState{}
	u.drifts.m = map[string]driftEntry{}
	u.times.m = map[string][]meta.EvidenceTime{}
	css, err := fs.ReadFile(assets, "templates/style.css")
	if err != nil {
		return nil, err
	}
	u.css = template.CSS(css)
	sum := sha256.Sum256(css)
	// Only the page's own inline style; no script, no frame, forms post to this origin only.
	u.csp = "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	for _, name := range []string{"signin", "error", "environments", "environment", "deployments", "deployment", "evidence", "packet"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/parts.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		u.pages[name] = t
	}
	u.mux.HandleFunc("GET /ui/{$}", u.signedIn(u.home))
	u.mux.HandleFunc("GET /ui/signin", u.signinForm)
	u.mux.HandleFunc("POST /ui/signin", u.signin)
	u.mux.HandleFunc("POST /ui/signout", u.signedIn(u.signout))
	u.mux.HandleFunc("GET /ui/environments", u.signedIn(u.environments))
	u.mux.HandleFunc("GET /ui/environments/{id}", u.signedIn(u.environment))
	u.mux.HandleFunc("POST /ui/environments/{id}/targets/{target}/drift-check", u.signedIn(u.driftCheck))
	u.mux.HandleFunc("GET /ui/deployments", u.signedIn(u.deployments))
	u.mux.HandleFunc("GET /ui/deployments/{id}", u.signedIn(u.deployment))
	u.mux.HandleFunc("POST /ui/deployments/{id}/verify", u.signedIn(u.verify))
	u.mux.HandleFunc("GET /ui/deployments/{id}/artifacts/{name}", u.signedIn(u.download))
	u.mux.HandleFunc("GET /ui/evidence", u.signedIn(u.evidence))
	u.mux.HandleFunc("GET /ui/evidence/{id}", u.signedIn(u.packet))
	u.mux.HandleFunc("GET /ui/evidence/{id}/packet.json", u.signedIn(u.packetJSON))
	u.mux.HandleFunc("GET /ui/evidence/{id}/report.pdf", u.signedIn(u.packetPDF))
	u.mux.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		u.fail(w, r, nil, fault.NotFoundf("%s: no such page", r.URL.Path))
	})
	return u, nil
}

// ServeHTTP answers a request under Prefix.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", u.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	u.mux.ServeHTTP(w, r)
}

// session is one signed-in browser: the token's hash (never the token) and the CSRF token of its forms.
type session struct {
	id        string
	tokenHash string
	csrf      string
}

// sessions are kept in the metadata database (meta.DB's sessions: the SHA-256 of the id, never the
// id), so that a session outlives a restart of the server and every replica knows it.
type sessions struct {
	db        meta.DB
	mu        sync.Mutex
	lastSweep time.Time
}

func randomID() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// create records a new session of the token (its hash) for its tenant; expired sessions are removed
// at most every sweepEvery.
func (s *sessions) create(ctx context.Context, tenant, tokenHash string, now time.Time) (*session, error) {
	s.mu.Lock()
	sweep := now.Sub(s.lastSweep) >= sweepEvery
	if sweep {
		s.lastSweep = now
	}
	s.mu.Unlock()
	if sweep {
		if err := s.db.DropExpiredSessions(ctx, now); err != nil {
			return nil, err
		}
	}
	x := &session{id: randomID(), tokenHash: tokenHash, csrf: randomID()}
	err := s.db.PutSession(ctx, meta.Session{IDSHA256: hashID(x.id), TenantID: tenant, TokenSHA256: tokenHash, CSRF: x.csrf, ExpiresAt: now.Add(SessionTTL)})
	return x, err
}

// get finds the live session of id and extends it (a write at most once a minute of use); nil when
// there is none, it expired, or the database does not answer.
func (s *sessions) get(ctx context.Context, id string, now time.Time) *session {
	if id == "" || len(id) > 128 {
		return nil
	}
	key := hashID(id)
	rec, err := s.db.Session(ctx, key, now)
	if err != nil {
		return nil
	}
	if rec.ExpiresAt.Sub(now) < SessionTTL-time.Minute {
		_ = s.db.TouchSession(ctx, key, now.Add(SessionTTL)) // a failed extension only shortens it
	}
	return &session{id: id, tokenHash: rec.TokenSHA256, csrf: rec.CSRF}
}

func (s *sessions) drop(ctx context.Context, id string) { _ = s.db.DropSession(ctx, hashID(id)) }

// sweepEvery is how often sign-ins remove expired sessions.
const sweepEvery = 10 * time.Minute

// caller is who asks: the token's record and the session.
type caller struct {
	tok  meta.Token
	sess *session
}

func (c caller) Writer() bool { return server.Writer(c.tok.Role) }

type pageFunc func(w http.ResponseWriter, r *http.Request, c caller) error

// signedIn runs h for a signed-in person: a live session whose token is still usable (not revoked,
// not expired). A GET without one goes to the sign-in page; a POST needs the session's CSRF token.
func (u *UI) signedIn(h pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		var sess *session
		if ck, err := r.Cookie(sessionCookie); err == nil {
			sess = u.sessions.get(ctx, ck.Value, u.api.Now())
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if sess == nil || !sameToken(r.PostFormValue("csrf"), sess.csrf) {
				u.fail(w, r, nil, fault.Wrap(fault.Forbidden, errors.New("this form's CSRF token is missing or wrong: reload the page and try again")))
				return
			}
		}
		if sess == nil {
			u.toSignin(w, r)
			return
		}
		tok, err := u.api.AuthenticateHash(ctx, sess.tokenHash)
		if err != nil || tok.Role == meta.RoleAgent {
			if fault.KindOf(err) == fault.Unauthenticated || err == nil {
				u.sessions.drop(ctx, sess.id)
				u.toSignin(w, r)
				return
			}
			u.fail(w, r, nil, err)
			return
		}
		c := caller{tok: tok, sess: sess}
		if err := h(w, r, c); err != nil {
			u.fail(w, r, &c, err)
		}
	}
}

func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func (u *UI) toSignin(w http.ResponseWriter, r *http.Request) {
	target := "/ui/signin"
	if r.Method == http.MethodGet && r.URL.Path != "/ui/" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (u *UI) cookie(r *http.Request, name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: Prefix, MaxAge: maxAge, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil}
}

// localNext is the page to return to after sign-in: a path of this interface, else its home.
func localNext(next string) string {
	if strings.HasPrefix(next, Prefix) && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		if p, err := url.Parse(next); err == nil && p.Host == "" && p.Scheme == "" {
			return next
		}
	}
	return Prefix
}

// signinForm shows the sign-in form. A sign-in CSRF token (a cookie and the form's field, compared on
// POST) keeps another site from signing a browser in with its own token.
func (u *UI) signinForm(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	if ck, err := r.Cookie(sessionCookie); err == nil && u.sessions.get(ctx, ck.Value, u.api.Now()) != nil {
		http.Redirect(w, r, localNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	u.showSignin(w, r, http.StatusOK, "")
}

func (u *UI) showSignin(w http.ResponseWriter, r *http.Request, status int, problem string) {
	csrf := randomID()
	http.SetCookie(w, u.cookie(r, signinCookie, csrf, 3600))
	u.render(w, r, status, "signin", nil, "Sign in", map[string]any{"CSRF": csrf, "Next": localNext(r.FormValue("next")), "Problem": problem})
}

func (u *UI) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	ck, err := r.Cookie(signinCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf"), ck.Value) {
		u.fail(w, r, nil, fault.Wrap(fault.Forbidden, errors.New("this form's CSRF token is missing or wrong: reload the sign-in page and try again")))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	tok, err := u.api.Authenticate(ctx, strings.TrimSpace(r.PostFormValue("token")))
	switch {
	case fault.KindOf(err) == fault.Unauthenticated:
		u.showSignin(w, r, http.StatusUnauthorized, "That token is unknown, expired or revoked.")
		return
	case err != nil:
		u.fail(w, r, nil, err)
		return
	case tok.Role == meta.RoleAgent:
		u.showSignin(w, r, http.StatusForbidden, "That is an agent's token; sign in with a person's token (admin, deployer or auditor).")
		return
	}
	sess, err := u.sessions.create(ctx, tok.TenantID, tok.SHA256, u.api.Now())
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	http.SetCookie(w, u.cookie(r, signinCookie, "", -1))
	http.SetCookie(w, u.cookie(r, sessionCookie, sess.id, int(SessionTTL/time.Second)))
	http.Redirect(w, r, localNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (u *UI) signout(w http.ResponseWriter, r *http.Request, c caller) error {
	u.sessions.drop(r.Context(), c.sess.id)
	http.SetCookie(w, u.cookie(r, sessionCookie, "", -1))
	http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
	return nil
}

func (u *UI) home(w http.ResponseWriter, r *http.Request, c caller) error {
	http.Redirect(w, r, "/ui/environments", http.StatusSeeOther)
	return nil
}

// view is what every page's layout reads.
type view struct {
	Title  string
	CSS    template.CSS
	Caller *caller
	Nav    string
	Data   any
}

// Name, Role and Tenant are the signed-in person's, for the page header.
func (v view) Name() string {
	if v.Caller.tok.Name != "" {
		return v.Caller.tok.Name
	}
	return v.Caller.tok.ID
}
func (v view) Role() string   { return v.Caller.tok.Role }
func (v view) Tenant() string { return v.Caller.tok.TenantID }
func (v view) CSRF() string   { return v.Caller.sess.csrf }
func (v view) Writer() bool   { return v.Caller.Writer() }

func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, page string, c *caller, title string, data any) {
	var b strings.Builder
	if err := u.pages[page].Execute(&b, view{Title: title, CSS: u.css, Caller: c, Nav: page, Data: data}); err != nil {
		u.log.ErrorContext(r.Context(), "web: render", "page", page, "err", err)
		http.Error(w, "internal error; see the server log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// fail shows an error page with the status of err's kind. Not found is one sentence whatever the cause
// (absent, or another tenant's); operational details stay in the log.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, c *caller, err error) {
	status := fault.HTTPStatus(err)
	msg := err.Error()
	title := http.StatusText(status)
	switch {
	case status == http.StatusNotFound:
		title, msg = "Not found", "Nothing is found at "+r.URL.Path+"."
	case status >= 500:
		if !errors.Is(err, context.Canceled) {
			u.log.ErrorContext(r.Context(), "web: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		msg = "internal error; see the server log"
	}
	u.render(w, r, status, "error", c, title, map[string]any{"Status": status, "Message": msg})
}
