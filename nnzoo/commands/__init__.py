"""CLI verbs: one module each (see nnzoo.cli)."""
