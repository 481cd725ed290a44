"""The five lectures nnzoo reproduces, so that notebooks and reports can cite them by university and title.

Recipes cite lines as ``NN:lines`` (for example ``01:974-980``) or by the three-digit number in
their ``LECTURES`` tuple; both name a lecture below.
"""

LECTURES = {
    "000": ("Univ. of Cologne", "Neural networks and how to monitor the learning process"),
    "001": (
        "UPM Madrid",
        "Training feedforward neural networks: assessment, initialization, normalization, "
        "regularization layers, with Keras code",
    ),
    "002": (
        "Sharif Univ.",
        "Introduction to neural networks: MLPs, backprop, GD variants, init, batch norm "
        "(and folding it), gradient clipping, dropout",
    ),
    "003": (
        "Univ. Bretagne Sud",
        "ANN part I: McCulloch-Pitts, Hebb, perceptron, MLP, backprop, init statistics, "
        "optimizers, LR decay, cross-validation, tuning, BN, dropout",
    ),
    "004": (
        "Univ. Milano-Bicocca",
        "Neural networks: gradient descent, backprop examples, model fitting, losses, training procedure, optimizers",
    ),
}


def citation(number):
    """'Univ. of Cologne, "Neural networks ..." (lecture 000, cited as 00:LINES)' for a LECTURES entry."""
    university, title = LECTURES[number]
    return f'{university}, "{title}" (lecture {number}, lines cited as {number[1:]}:LINES)'
