"""Who may open what: login everywhere, admin pages, CSRF, headers, cookies, throttling."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import StaffClient
from flask import Flask

from web import create_app

SAMPLE_ARGS = {"ref": "DSR-2026-0001", "kind": "staff_reply", "item_id": 1, "user_id": 1,
               "filename": "staff.css", "token": "not-a-token"}
PUBLIC = {"auth.login", "healthz", "static"}
PUBLIC_BLUEPRINTS = ("verify.",)  # the requester's confirmation page (web/verify.py)


def _is_public(endpoint: str) -> bool:
    return endpoint in PUBLIC or endpoint.startswith(PUBLIC_BLUEPRINTS)


def _routes(app: Flask, method: str, public: bool = False) -> list[tuple[str, str]]:
    """(endpoint, sample URL) of every rule answering `method`."""
    out = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if method in (rule.methods or ()) and _is_public(rule.endpoint) == public:
                args = {name: SAMPLE_ARGS[name] for name in rule.arguments}
                out.append((rule.endpoint, url_for(rule.endpoint, **args)))
    return out


def test_every_page_but_login_and_health_sends_anonymous_visitors_to_login(app, anonymous,
                                                                          open_ticket):
    open_ticket()
    routes = [("GET", *r) for r in _routes(app, "GET")] + [("POST", *r)
                                                          for r in _routes(app, "POST")]
    assert len(routes) >= 20
    for method, endpoint, url in routes:
        response = anonymous.client.open(url, method=method)
        response.close()
        assert response.status_code == 302, (method, endpoint, response.status_code)
        assert response.headers["Location"].startswith("/login?next="), endpoint


def test_public_pages_answer_without_login(anonymous):
    assert anonymous.get("/healthz").get_data(as_text=True) == "ok\n"
    assert anonymous.get("/login").status_code == 200
    assert anonymous.get("/static/staff.css").status_code == 200


def test_staff_get_403_on_admin_pages_and_admins_get_them(app, staff, admin):
    gets = [(e, u) for e, u in _routes(app, "GET") if e.startswith("admin.")]
    posts = [(e, u) for e, u in _routes(app, "POST") if e.startswith("admin.")]
    assert {e for e, _ in gets + posts} >= {"admin.users", "admin.add_user",
                                            "admin.settings_view", "admin.set_active"}
    for endpoint, url in gets:
        assert staff.get(url).status_code == 403, endpoint
    for endpoint, url in posts:
        assert staff.post(url, {"name": "mallory", "password": "x" * 12, "role": "admin",
                                "active": "1"}).status_code == 403, endpoint
    assert admin.get("/admin/users").status_code == 200
    assert admin.get("/admin/settings").status_code == 200
    assert "Users" not in staff.get("/").get_data(as_text=True).split("<main")[0]


def test_every_post_without_csrf_token_is_refused_with_400(app, admin, open_ticket):
    opened = open_ticket()
    posts = _routes(app, "POST")
    assert len(posts) >= 12
    for endpoint, url in posts:
        url = url.replace(SAMPLE_ARGS["ref"], opened.ref)
        response = admin.post(url, {"reason": "x", "note": "x"}, csrf=False)
        assert response.status_code == 400, endpoint
    assert admin.get(f"/tickets/{opened.ref}").status_code == 200  # still logged in


def test_login_with_wrong_csrf_token_is_refused(anonymous):
    anonymous.fresh_token()
    response = anonymous.client.post("/login", data={"name": "alice", "password": "x",
                                                     "csrf_token": "forged"})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/", "/login", "/healthz", "/static/staff.css", "/nowhere"])
def test_security_headers_on_every_response(anonymous, staff, path):
    for client in (anonymous, staff):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "script-src" not in csp  # no script at all
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] in ("no-referrer", "same-origin")


def test_pages_with_personal_data_are_never_cached(staff, open_ticket):
    opened = open_ticket()
    assert staff.get(f"/tickets/{opened.ref}").headers["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_and_lax(anonymous):
    response = anonymous.post("/login", {"name": "alice", "password": "alice-staff-password"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_behind_https(settings):
    https = dataclasses.replace(settings, web=dataclasses.replace(
        settings.web, base_url="https://privacy.example.org"))
    client = create_app(https).test_client()
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    assert "csrf_token" in page
    cookie = client.get_cookie("rightsbot_session", domain="localhost")
    assert cookie is not None and cookie.secure and cookie.http_only
    response = client.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_login_redirects_to_the_page_asked_for_but_never_off_site(app):
    form = {"name": "alice", "password": "alice-staff-password"}
    for asked, landing in (("/dashboard", "/dashboard"), ("https://evil.example/", "/"),
                           ("//evil.example/", "/"), ("/\\evil.example", "/")):
        visitor = StaffClient(app.test_client())
        response = visitor.post(f"/login?next={asked}", form)
        assert response.headers["Location"] == landing, asked


def test_wrong_password_is_refused_and_the_sixth_try_is_throttled(anonymous):
    anonymous.fresh_token()
    for _ in range(5):
        response = anonymous.post("/login", {"name": "alice", "password": "guess"})
        assert response.status_code == 401
        assert "do not match" in response.get_data(as_text=True)
    right = {"name": "alice", "password": "alice-staff-password"}
    response = anonymous.post("/login", right)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    # Another name from the same address is not locked out by alice's failures.
    response = anonymous.post("/login", {"name": "root", "password": "root-admin-password"})
    assert response.status_code == 302


def test_unknown_name_and_inactive_account_cannot_log_in(anonymous, admin, store):
    assert anonymous.post("/login", {"name": "nobody", "password": "whatever12"}
                          ).status_code == 401
    users = admin.get("/admin/users").get_data(as_text=True)
    assert "alice" in users
    from web.accounts import find_user

    with store.unit_of_work() as session:
        alice_id = find_user(session, "alice").id
    assert admin.post(f"/admin/users/{alice_id}/active", {"active": "0"}).status_code == 302
    assert anonymous.post("/login", {"name": "alice", "password": "alice-staff-password"}
                          ).status_code == 401


def test_deactivating_a_user_ends_their_open_session(staff, admin, store):
    from web.accounts import find_user

    assert staff.get("/").status_code == 200
    with store.unit_of_work() as session:
        alice_id = find_user(session, "alice").id
    admin.post(f"/admin/users/{alice_id}/active", {"active": "0"})
    assert staff.get("/").status_code == 302


def test_logout_is_a_post_and_ends_the_session(staff):
    assert staff.get("/logout").status_code == 405
    response = staff.post("/logout", {})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert staff.get("/").status_code == 302


def test_failed_logins_are_counted_across_workers(settings):
    """Two app instances on one database (two `rightsbot run` workers) share the count."""
    workers = [StaffClient(create_app(settings).test_client()) for _ in range(2)]
    for worker in workers:
        worker.fresh_token()
    for attempt in range(5):
        response = workers[attempt % 2].post("/login", {"name": "alice", "password": "guess"})
        assert response.status_code == 401
    right = {"name": "alice", "password": "alice-staff-password"}
    assert workers[0].post("/login", right).status_code == 429
    assert workers[1].post("/login", right).status_code == 429


def test_behind_a_trusted_proxy_the_client_address_is_throttled(settings):
    proxied = dataclasses.replace(settings, web=dataclasses.replace(settings.web,
                                                                     trusted_proxies=1))
    client = StaffClient(create_app(proxied).test_client())
    client.fresh_token()
    for _ in range(5):
        response = client.post("/login", {"name": "alice", "password": "guess"},
                               headers={"X-Forwarded-For": "203.0.113.7"})
        assert response.status_code == 401
    right = {"name": "alice", "password": "alice-staff-password"}
    blocked = client.post("/login", right, headers={"X-Forwarded-For": "203.0.113.7"})
    assert blocked.status_code == 429
    # Another client behind the same proxy is not locked out by the first one's guesses.
    other = client.post("/login", right, headers={"X-Forwarded-For": "198.51.100.2"})
    assert other.status_code == 302
