"""``autojac.nn.functional``: activations, losses and convolutions, all differentiable."""

from .._ops.activations import (
    celu,
    glu,
    hardsigmoid,
    hardswish,
    mish,
    relu6,
    selu,
    softmin,
    softsign,
)
from .._ops.elementwise import sigmoid, tanh
from .._ops.losses import cosine_similarity, huber_loss, layer_norm, smooth_l1_loss
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

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "celu", "conv1d",
           "conv2d", "cosine_similarity", "cross_entropy", "dropout", "elu", "gelu",
           "glu", "hardsigmoid", "hardswish", "hardtanh", "huber_loss", "l1_loss",
           "layer_norm", "leaky_relu", "linear", "log_softmax", "logsigmoid", "mish",
           "mse_loss", "nll_loss", "normalize", "one_hot", "pad", "relu", "relu6",
           "selu", "sigmoid", "silu", "smooth_l1_loss", "softmax", "softmin",
           "softplus", "softsign", "tanh"]
