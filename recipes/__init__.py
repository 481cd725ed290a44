"""The recipes: one module per lecture topic (see `nnzoo list`)."""
