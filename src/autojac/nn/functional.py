"""``autojac.nn.functional``: activations, losses and convolutions, all differentiable."""

from .._ops.elementwise import sigmoid, tanh
from .._ops.nn import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    conv1d,
    conv2d,
    cross_entropy,
    dropout,
    elu,
    gelu,
    hardtanh,
    l1_loss,
    leaky_relu,
    linear,
    logsigmoid,
    mse_loss,
    nll_loss,
    normalize,
    one_hot,
    pad,
    relu,
    silu,
    softplus,
)
from .._ops.nn import functional_log_softmax as log_softmax
from .._ops.nn import functional_softmax as softmax

__all__ = ["one_hot", "pad", "relu", "sigmoid", "tanh", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "conv1d", "conv2d", "cross_entropy", "dropout",
           "elu", "gelu", "hardtanh", "l1_loss", "leaky_relu", "linear", "log_softmax",
           "logsigmoid", "mse_loss", "nll_loss", "normalize", "silu", "softmax", "softplus"]
