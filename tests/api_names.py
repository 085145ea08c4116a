"""The public names API.md lists (../shared/API.md), namespace by namespace."""

CREATION = """tensor as_tensor from_numpy zeros ones empty full zeros_like ones_like full_like
rand_like randn_like rand randn randint eye arange linspace manual_seed float32 float64 int32
int64 bool set_default_dtype get_default_dtype float16 complex64 complex128 Size no_grad
enable_grad set_grad_enabled is_grad_enabled jacobian hessian Tensor""".split()

ELEMENTWISE = """add sub mul div true_divide floor_divide remainder neg pow exp exp2 expm1 log log2
log10 log1p sqrt rsqrt square reciprocal abs sign sin cos tan asin acos atan atan2 sinh cosh
tanh asinh acosh atanh sigmoid erf erfc clamp clip minimum maximum where lerp hypot logaddexp
floor ceil round trunc nan_to_num""".split()

REDUCTIONS = """sum mean prod amax amin max min logsumexp norm var std cumsum cumprod argmax argmin
all any""".split()

LINEAR_ALGEBRA = """matmul mm bmm mv dot vdot outer inner einsum tensordot kron trace diag
diagonal diag_embed tril triu cross""".split()

LINALG = """inv det slogdet solve cholesky qr eigh svd norm vector_norm matrix_norm pinv
matrix_exp""".split()

SHAPE = """reshape view view_as flatten unflatten squeeze unsqueeze transpose swapaxes permute
movedim t expand expand_as broadcast_to cat concat stack hstack vstack split chunk unbind flip
roll repeat tile narrow select index_select gather scatter scatter_add index_add masked_fill
masked_select take take_along_dim contiguous clone""".split()

NN_FUNCTIONAL = """softmax log_softmax relu leaky_relu elu gelu silu softplus tanh sigmoid
logsigmoid normalize linear dropout mse_loss l1_loss cross_entropy nll_loss
binary_cross_entropy conv1d conv2d""".split()

TENSOR_ATTRIBUTES = """shape size dim ndim numel dtype device T mT item tolist numpy is_leaf
requires_grad requires_grad_ grad grad_fn retain_grad detach clone backward add_ mul_ zero_
__setitem__ abs""".split()

AUTOGRAD = "grad backward Function gradcheck gradgradcheck".split()
FUNCTIONAL = "jacobian hessian vjp jvp hvp vhp".split()
FORWARD_AD = "dual_level make_dual unpack_dual".split()
FUNC = "jacrev jacfwd grad".split()
TESTING = ["assert_close"]

OPS = ELEMENTWISE + REDUCTIONS + LINEAR_ALGEBRA + SHAPE
