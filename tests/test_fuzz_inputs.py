"""Mutated config files, fixture manifests, bar CSVs and MT5 exports: each loader accepts the
input or refuses it with its own error naming the file; nothing else escapes (issue 8). The long
coverage-guided run is bench/fuzz_atheris.py."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz_targets import TARGETS, seeds

SEEDS = seeds()
EDIT = st.tuples(st.integers(0, 3), st.integers(0, 1 << 20), st.binary(min_size=0, max_size=8))


def mutate(base: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    b = bytearray(base)
    for op, where, blob in edits:
        i = where % (len(b) + 1)
        if op == 0 and i < len(b):
            b[i] ^= (blob[0] if blob else 0x55) or 1
        elif op == 1:
            del b[i : i + len(blob) + 1]
        elif op == 2:
            b[i:i] = blob
        else:
            del b[i:]
    return bytes(b)


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_each_seed_is_accepted(target: str) -> None:
    TARGETS[target](SEEDS[target])  # the unmutated input loads (no error of any kind)


@pytest.mark.parametrize("target", sorted(TARGETS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(EDIT, min_size=1, max_size=6))
def test_mutated_inputs_are_accepted_or_refused_with_a_named_error(
    target: str, edits: list[tuple[int, int, bytes]]
) -> None:
    TARGETS[target](mutate(SEEDS[target], edits))


@pytest.mark.parametrize("target", sorted(TARGETS))
@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=400))
def test_random_bytes_are_refused_with_a_named_error(target: str, data: bytes) -> None:
    TARGETS[target](data)
