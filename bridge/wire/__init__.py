"""Frames and sockets: codec, ZMTP, transport endpoint, HMAC auth. Imports bridge.core only."""
