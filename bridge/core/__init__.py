"""Vocabulary: events, symbol specs, server time, retcodes, wall clock. Imports nothing of ours."""
