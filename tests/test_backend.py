"""The array seam: allocation policy."""

from __future__ import annotations

import os
import subprocess
import sys

import autojac._backend as backend


def test_keep_freed_memory_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("AUTOJAC_KEEP_FREED_MEMORY", "0")
    assert backend.keep_freed_memory() is False


def test_keep_freed_memory_applies_on_glibc():
    is_glibc = sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION") is not None
    assert backend.keep_freed_memory() is is_glibc


def test_import_without_the_setting_works():
    env = dict(os.environ, AUTOJAC_KEEP_FREED_MEMORY="0")
    out = subprocess.run([sys.executable, "-c", "import autojac; print(autojac.ones(2).sum())"],
                         env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "tensor(2.)"


def test_import_leaves_scipy_for_first_use():
    code = ("import sys, autojac; print('scipy' in sys.modules); "
            "autojac.erf(autojac.ones(1)); print('scipy.special' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "True"]


def test_special_functions_without_scipy(monkeypatch):
    import math

    import numpy as np

    monkeypatch.setitem(sys.modules, "scipy.special", None)  # import raises ImportError
    x = np.array([-1.5, 0.0, 0.3, 2.0], dtype=np.float32)
    for name in ("erf", "erfc"):
        got = backend._special.__wrapped__(name)(x)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, np.array([getattr(math, name)(v) for v in x],
                                                    dtype=np.float32))
