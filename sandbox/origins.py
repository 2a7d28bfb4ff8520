"""The site's separate origins, and the cookies they share.

The real buyer site is several hosts: ``www.aliexpress.com`` (orders, the dispute
form), ``m.aliexpress.com`` (the refund/dispute list and pages) and
``login.aliexpress.com`` (sign-in), which share their session through cookies set on
the parent domain ``.aliexpress.com``. An agent that only ever met one host would
never have to follow a redirect to another host and back, nor keep cookies set by
one host for another. So the sandbox is served under names of a parent domain too,
``www.``, ``m.`` and ``login.<domain>``, by default ``aliexpress.localhost``:
browsers resolve every ``*.localhost`` name to this machine (RFC 6761), with no DNS
and no hosts file. ``www.`` and ``m.`` share the main listener (told apart by the
``Host`` header); ``login.`` has a listener of its own.

A request whose ``Host`` is none of these names (an IP address, a test client) may
reach every page: tests that talk HTTP without a browser, and clients that cannot
resolve ``*.localhost`` (Python's resolver cannot), use ``127.0.0.1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["DEFAULT_DOMAIN", "Origins", "cookie_domain", "origin_of", "page_origin", "set_site_cookie"]

DEFAULT_DOMAIN = "aliexpress.localhost"

WWW, MOBILE, LOGIN = "www", "m", "login"
#: the first label of a host name, as the real site names its hosts
_LABELS = {"www": WWW, "m": MOBILE, "login": LOGIN}

#: which origin serves a page path (the first matching prefix wins); paths not listed
#: here (the API, static files, the control API, the captcha's ``/_____tmd_____/``) are
#: served on every origin, and ``/`` is the sign-in on the login host, a redirect elsewhere
PAGE_PATHS: tuple[tuple[str, str], ...] = (
    ("/p/refund-dispute/", MOBILE),
    ("/p/refund-amount/", MOBILE),
    ("/p/", WWW),
    ("/login", LOGIN),
    ("/newlogin/", LOGIN),
    ("/sync_cookie_write.htm", LOGIN),
    ("/logout", WWW),
)


@dataclass(frozen=True)
class Origins:
    """Absolute base URLs of the three hosts, or "" for each when the app runs without
    a real socket (in-process tests), where every link stays relative."""

    www: str = ""
    m: str = ""
    login: str = ""
    #: the parent domain the session cookies are set on; None: host-only cookies
    domain: str | None = None

    @classmethod
    def served(cls, scheme: str, domain: str, main_port: int, login_port: int) -> Origins:
        return cls(www=f"{scheme}://www.{domain}:{main_port}", m=f"{scheme}://m.{domain}:{main_port}",
                   login=f"{scheme}://login.{domain}:{login_port}", domain=domain)

    def base(self, origin: str) -> str:
        return {WWW: self.www, MOBILE: self.m, LOGIN: self.login}[origin]

    def url(self, origin: str, path_and_query: str) -> str:
        return self.base(origin) + path_and_query

    def owns(self, url: str) -> bool:
        """True for a URL on one of the site's hosts (or a relative path): a safe place to return to."""
        parts = urlsplit(url)
        if not parts.scheme and not parts.netloc:
            return url.startswith("/") and not url.startswith("//")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        return any(parts.netloc == urlsplit(base).netloc for base in (self.www, self.m, self.login) if base)


def origins_of(request: Request) -> Origins:
    """The hosts' addresses for links in this answer: relative ones ("") for a request
    that came by address, which may reach every page on the one host it knows."""
    origins: Origins = request.app.state.origins
    if origin_of(request) is None:
        return Origins()
    return origins


def host_origin(host: str | None, origins: Origins) -> str | None:
    """The origin a ``Host`` header names, or None for a name that is none of ours."""
    if not host:
        return None
    name = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else host
    if origins.domain and name.endswith("." + origins.domain):
        return _LABELS.get(name[: -len(origins.domain) - 1])
    return None


def origin_of(request: Request) -> str | None:
    """The origin this request came to: the login listener is always ``login``."""
    login_port = getattr(request.app.state, "login_port", None)
    server = request.scope.get("server")
    if login_port is not None and server and server[1] == login_port:
        return LOGIN
    return host_origin(request.headers.get("host"), request.app.state.origins)


def page_origin(path: str) -> str | None:
    """The origin that serves ``path``, or None when every origin does."""
    for prefix, origin in PAGE_PATHS:
        if path == prefix.rstrip("/") or path.startswith(prefix):
            return origin
    return None


def cookie_domain(request: Request) -> str | None:
    """The parent domain to set a shared cookie on, when the request came by name."""
    origins: Origins = request.app.state.origins
    if origins.domain and host_origin(request.headers.get("host"), origins) is not None:
        return origins.domain
    return None


def set_site_cookie(request: Request, response: Response, name: str, value: str, *, max_age: int,
                    httponly: bool = True, path: str = "/") -> None:
    """A cookie every host of the site sees (like the real ``.aliexpress.com`` cookies)."""
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=httponly, samesite="lax",
                        domain=cookie_domain(request))


def delete_site_cookie(request: Request, response: Response, name: str, *, path: str = "/") -> None:
    response.delete_cookie(name, path=path, domain=cookie_domain(request))
