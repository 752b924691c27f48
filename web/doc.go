// Package web is the analyst console: the pages `liaison serve` answers
// under /ui/, rendered on the server with html/template from templates and
// static files embedded in the binary, so the console works with no
// internet access. Every page works without JavaScript; the few scripts
// (our own under static/js, vendored libraries under static/vendor) only
// enhance it.
//
// It owns the console's security: sign-in (user name with an API token or
// a password), sessions in an HttpOnly, SameSite=Strict cookie stored only
// as the SHA-256 of their secret, a CSRF token on every form, a strict
// Content-Security-Policy with no inline script or style, and a limit on
// failed sign-ins.
//
// Every page reads through store.Store or package joint with the signed-in
// principal, so policy decides what is shown; this package never filters a
// result after the fact, and an object the user may not see answers the
// same "not found" page as one that does not exist. It must never write
// state on a GET.
package web
