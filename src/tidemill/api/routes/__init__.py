"""Thin routes: name check, body parse, one service call, one response."""
