"""Frames and sockets: codec, ZMTP, transport endpoint, HMAC auth, and a terminal's end of the
connection (its wire and its session: bridge/wire/terminal_link.py). Imports bridge.core only."""
