"""Reaching the package: loaded lazily, and every call made under one lock (the package is not
thread-safe: the adapter, a download and a doctor's check may share it).

The package bounds its own calls: ``initialize(timeout=...)`` sets how long a call may wait for
the terminal (60 s unless given), after which the call returns None and ``last_error()`` says
RES_E_INTERNAL_FAIL_TIMEOUT; the call may still have reached the terminal (an order sent).
``Api.call`` turns that into ``ApiTimeout`` (the outcome is unknown: never send it again) and any
other None into ``ApiError`` with ``last_error()``'s code and text, read under the same lock (the
package keeps one error for the process: another call would overwrite it)."""

from __future__ import annotations

import importlib
import threading
from typing import Any

# last_error() codes (the package's constants; the documentation's table gives -10003 for
# RES_E_INTERNAL_FAIL_CONNECT too, the package defines -10004)
RES_S_OK = 1
RES_E_NOT_FOUND = -4
RES_E_AUTO_TRADING_DISABLED = -8
RES_E_INTERNAL_FAIL_CONNECT = -10004
RES_E_INTERNAL_FAIL_TIMEOUT = -10005


class PackageMissing(ValueError):
    """The package (or the module named) cannot be loaded."""


class ApiError(ConnectionError):
    """A call the terminal failed (the package returned None): the terminal's side."""

    def __init__(self, call: str, code: int, text: str) -> None:
        super().__init__(f"{call} failed: {text} (last_error {code})")
        self.call, self.code, self.text = call, code, text


class ApiTimeout(ApiError):
    """The terminal did not answer in time: the call's outcome is unknown."""


def load(package: str = "MetaTrader5", host: str = "localhost", port: int = 18812) -> Any:
    """The package's module: ``MetaTrader5``, or ``mt5linux`` connected to ``host:port`` (its
    RPyC server beside the terminal), or ``module:callable`` giving an object with the package's
    API (a wrapper of your own; the tests' stand-in). A clear error when it is not installed."""
    try:
        if ":" in package:
            mod, _, attr = package.partition(":")
            return getattr(importlib.import_module(mod), attr)()
        if package == "mt5linux":
            cls = importlib.import_module("mt5linux").MetaTrader5
            return cls(host=host, port=port)
        return importlib.import_module(package)
    except (ImportError, AttributeError) as exc:
        hint = (
            "pip install 'mt5bridge[mt5]' (Windows only)"
            if package == "MetaTrader5"
            else f"pip install {package.partition(':')[0]}"
        )
        raise PackageMissing(f"the {package} package is not installed ({exc}); {hint}") from None


class Api:
    def __init__(self, module: Any) -> None:
        self.module = module
        self.lock = threading.Lock()
        self.calls = 0

    def call(self, name: str, *args: Any, allow_none: bool = False, **kw: Any) -> Any:
        """``module.name(*args, **kw)`` under the lock. None (the package's failure) raises
        ApiTimeout or ApiError, unless ``allow_none`` and the failure is not a timeout."""
        fn = getattr(self.module, name)
        with self.lock:
            self.calls += 1
            result = fn(*args, **kw)
            if result is not None:
                return result
            code, text = tuple(self.module.last_error())
        if code == RES_E_INTERNAL_FAIL_TIMEOUT:
            raise ApiTimeout(name, code, text)
        if allow_none:
            return None
        raise ApiError(name, code, text)


def connect(
    package: str = "MetaTrader5",
    host: str = "localhost",
    port: int = 18812,
    terminal: str = "",
    login: int = 0,
    server: str = "",
    password_env: str = "MT5_PASSWORD",
    timeout_ms: int = 10_000,
) -> Any:
    """The package loaded and ``initialize``d (the terminal at ``terminal`` or the running one;
    the account ``login`` on ``server`` with the password from ``password_env``, else the
    terminal's). Raises ConnectionError naming last_error()."""
    import os

    module = load(package, host, port)
    kw: dict[str, Any] = {"timeout": timeout_ms}
    if login:
        password = os.environ.get(password_env, "")
        if not password:
            raise ValueError(f"--login {login}: set the password in ${password_env}")
        kw.update(login=login, password=password, server=server)
    args = (terminal,) if terminal else ()
    if not module.initialize(*args, **kw):
        code, text = tuple(module.last_error())
        raise ConnectionError(f"{package}: initialize() failed: {text} (last_error {code})")
    return module
