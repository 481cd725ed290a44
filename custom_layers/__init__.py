"""From-scratch Keras layers that compute exactly what the built-ins compute.

``ScratchDense``, ``ScratchBatchNormalization`` and ``InvertedDropout`` are drop-in twins of
keras.layers.Dense, BatchNormalization and Dropout; ``MCPNeuron`` is the McCulloch-Pitts unit;
``activations`` holds the lectures' activation functions with hand-written derivatives
(usable as ``activation="scratch_relu"`` and so on once this package is imported);
``fold_batch_norm`` merges BN into the preceding Dense for inference.
"""

from nnzoo.custom_layers import activations
from nnzoo.custom_layers.batch_normalization import ScratchBatchNormalization
from nnzoo.custom_layers.dense import ScratchDense
from nnzoo.custom_layers.dropout import InvertedDropout
from nnzoo.custom_layers.folding import fold_batch_norm, fold_parameters
from nnzoo.custom_layers.mcp_neuron import MCPNeuron

TWINS = {
    "Dense": (ScratchDense, "keras.layers.Dense"),
    "BatchNormalization": (ScratchBatchNormalization, "keras.layers.BatchNormalization"),
    "Dropout": (InvertedDropout, "keras.layers.Dropout"),
}

__all__ = [
    "InvertedDropout",
    "MCPNeuron",
    "ScratchBatchNormalization",
    "ScratchDense",
    "TWINS",
    "activations",
    "fold_batch_norm",
    "fold_parameters",
]
