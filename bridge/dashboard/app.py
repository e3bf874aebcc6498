"""The dashboard's pages and endpoints (FastAPI): the login page, the dashboard page and its
assets, ``/api/state`` (everything the page is first given, as JSON), the ``/ws`` WebSocket
(that, then every update) and ``/api/control`` (an operator control, passed to the brain's
control endpoint as the CLI's are). Every request but the login page's needs a session (or the
token as a bearer header); see bridge/dashboard/access.py."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import Headers

from bridge.dashboard.access import COOKIE, SESSION_MS, Session, Sessions, Throttled, same_origin
from bridge.dashboard.hub import Client, Hub
from bridge.web import lightweight_charts_js

Control = Callable[[str, str], dict[str, Any]]  # (verb, arg) -> the brain's answer
PUMP_S = 0.2  # how often the web thread takes the feed's updates
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
)
STRATEGY_VERBS = {  # the page's actions on one strategy -> its control verb
    "pause": "pause",
    "resume": "resume",
    "plan_stop": "stop",
    "plan_reset": "reset",
    "plan_leverage": "leverage",
}
ASSETS = {
    "app.js": "text/javascript",
    "login.js": "text/javascript",
    "style.css": "text/css",
}
PUBLIC = ("login.js", "style.css")


@functools.cache
def _static(name: str) -> str:
    return resources.files(__package__).joinpath("static", name).read_text(encoding="utf-8")


def _now() -> int:
    return int(time.time() * 1000)


def control_request(body: dict[str, Any]) -> tuple[str, str]:
    """The control verb and argument for one of the page's actions; ValueError names what is
    wrong with the request."""
    action = body.get("action")
    if action == "halt":
        return "halt", "halted from the dashboard"
    if action == "resume_all":
        return "resume", ""
    verb = STRATEGY_VERBS.get(str(action))
    if verb is None:
        known = ["halt", "resume_all", *STRATEGY_VERBS]
        raise ValueError(f"unknown action {action!r} (one of {', '.join(known)})")
    name = body.get("strategy")
    if not isinstance(name, str) or not name or any(c in name for c in ":|"):
        raise ValueError(f"{action}: 'strategy' must name a strategy (got {name!r})")
    arg = ""
    if verb == "leverage":
        try:
            x = float(body.get("arg", ""))
        except (TypeError, ValueError):
            x = float("nan")
        if not 0 < x <= 1000:
            raise ValueError(
                f"plan_leverage: 'arg' must be a leverage in (0, 1000], got {body.get('arg')!r}"
            )
        arg = repr(x)
    return "strategy", f"{name}:{verb}:{arg}"


def make_app(hub: Hub, sessions: Sessions, control: Control, secure: bool = False) -> FastAPI:
    async def pump() -> None:
        while True:
            hub.pump()
            await asyncio.sleep(PUMP_S)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(pump())
        yield
        task.cancel()

    # every endpoint is async: all run on the event loop's thread, the one that merges the
    # updates, so none reads the hub or the sessions while another changes them
    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"  # no-referrer makes Origin "null"
        response.headers["Cache-Control"] = "no-store"
        return response

    def from_here(headers: Headers) -> bool:
        """The request comes from the dashboard's own pages (bridge/dashboard/access.py)."""
        scheme = "https" if secure else "http"
        return same_origin(headers.get("origin"), headers.get("host"), scheme)

    def session(request: Request) -> Session | None:
        return sessions.get(request.cookies.get(COOKIE), _now())

    def bearer(request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            return False
        try:
            return sessions.token_ok(auth[7:].strip(), _now())
        except Throttled:
            return False

    def login_page(message: str = "", status: int = 200) -> HTMLResponse:
        text = _static("login.html").replace("{{message}}", html.escape(message))
        return HTMLResponse(text, status)

    @app.get("/")
    async def index(request: Request) -> HTMLResponse:
        s = session(request)
        if s is None:
            return login_page()
        return HTMLResponse(_static("dashboard.html").replace("{{csrf}}", s.csrf))

    @app.post("/login", response_model=None)
    async def login(request: Request) -> Response:
        if not from_here(request.headers):
            return login_page("refused: the login came from another site", 403)
        body = await request.body()
        if len(body) > 4096:
            return login_page("refused: the form is too long", 413)
        given = parse_qs(body.decode("utf-8", "replace")).get("token", [""])[0]
        try:
            sid = sessions.login(given, _now())
        except Throttled as exc:
            return login_page(str(exc), 429)
        if sid is None:
            return login_page("wrong token", 401)
        r = RedirectResponse("/", 303)
        r.set_cookie(
            COOKIE,
            sid,
            max_age=SESSION_MS // 1000,
            httponly=True,
            samesite="strict",
            secure=secure,
            path="/",
        )
        return r

    @app.post("/logout")
    async def logout(request: Request) -> RedirectResponse:
        sessions.logout(request.cookies.get(COOKIE))
        r = RedirectResponse("/", 303)
        r.delete_cookie(COOKIE, path="/")
        return r

    @app.get("/static/{name}")
    async def static(name: str, request: Request) -> Response:
        if name not in ASSETS and name != "lightweight-charts.js":
            return Response("not found", 404)
        if name not in PUBLIC and session(request) is None and not bearer(request):
            return Response("not authenticated", 401)
        if name == "lightweight-charts.js":
            return Response(lightweight_charts_js(), media_type="text/javascript")
        return Response(_static(name), media_type=ASSETS[name])

    @app.get("/api/state")
    async def state(request: Request) -> Response:
        if session(request) is None and not bearer(request):
            return JSONResponse({"ok": False, "error": "not authenticated"}, 401)
        return Response(hub.history(), media_type="application/json")

    @app.post("/api/control")
    async def control_endpoint(request: Request) -> JSONResponse:
        s = session(request)
        if s is not None:
            sent = request.headers.get("x-csrf-token", "")
            if not from_here(request.headers) or not sent or sent != s.csrf:
                return JSONResponse(
                    {"ok": False, "error": "refused: bad CSRF token or origin"}, 403
                )
        elif not bearer(request):
            return JSONResponse({"ok": False, "error": "not authenticated"}, 401)
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            verb, arg = control_request(body)
        except ValueError as exc:
            return JSONResponse({"ok": False, "error": str(exc)}, 400)
        reply = await asyncio.to_thread(control, verb, arg)
        code = 200 if reply.get("ok") else 400 if reply.get("bad_input") else 502
        return JSONResponse(reply, code)

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        s = sessions.get(websocket.cookies.get(COOKIE), _now())
        if s is None or not from_here(websocket.headers):
            await websocket.close(code=1008)
            return
        await websocket.accept()
        client = Client()
        hub.clients.add(client)
        try:
            await websocket.send_text(hub.history())
            while not client.dropped:
                try:
                    text = await asyncio.wait_for(client.queue.get(), 5.0)
                except TimeoutError:
                    text = '{"type":"ping"}'
                await websocket.send_text(text)
        except WebSocketDisconnect:
            pass
        finally:
            hub.clients.discard(client)
            if client.dropped:
                with contextlib.suppress(Exception):
                    await websocket.close(code=1013)

    return app
