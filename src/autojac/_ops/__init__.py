"""The op table, one family a module; importing this package installs every Tensor method."""

from . import elementwise, indexing, shape, reduction, linalg, conversion  # noqa: F401, I001
from . import matrix, decomposition, nn, inplace, complex_parts  # noqa: F401, I001
from . import sorting, differences, closeness, linalg_composed, activations, losses  # noqa: F401, I001
