"""Autograd internals: grad mode, graph nodes, the backward engine, forward AD."""
