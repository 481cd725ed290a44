"""The recipes: one module per lecture topic (see `nnzoo list`).

Every recipe imports Keras at its top, so importing one loads TensorFlow; this package loads it first,
quietly (nnzoo.quiet_tensorflow), for every way a recipe is imported: by `nnzoo run`, from a notebook,
or run as a script (`python -m nnzoo.recipes.NAME`, where the recipe's own imports come first).
"""

from nnzoo import quiet_tensorflow

quiet_tensorflow.load()
