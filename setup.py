"""Build the compiled cores: the matchers ``qiam._match``, the decision kernel ``qiam._decide`` and the
compiler's statement loop ``qiam._front``.

Everything else lives in pyproject.toml. Switches, read from the environment:

1. ``QIAM_REQUIRE_EXTENSION=1``: a failed compile fails the build. CI and
   packaged builds set it. Without it the extension is optional: a source
   install where it cannot compile still works on the pure-Python twin.
2. ``QIAM_DEBUG=1``: ``-O0 -g``, bounds and wraparound checks, C line numbers.
3. ``QIAM_COVERAGE=1``: line tracing for coverage of the ``.pyx``.
4. ``QIAM_ANNOTATE=1``: write the Cython annotation HTML beside the ``.pyx``.
5. ``QIAM_SANITIZE=1``: AddressSanitizer (``-fsanitize=address
   -fno-omit-frame-pointer``, ``-O1 -g``). Python itself is not built with it:
   run with the ASan runtime preloaded (see fuzz/README.md).
"""

import os

from Cython.Build import cythonize
from setuptools import Extension, setup


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


require = _flag("QIAM_REQUIRE_EXTENSION")
debug = _flag("QIAM_DEBUG")
coverage = _flag("QIAM_COVERAGE")
sanitize = _flag("QIAM_SANITIZE")

directives = {
    "language_level": 3,
    "binding": True,
    "boundscheck": debug,
    "wraparound": debug,
    "initializedcheck": False,
    "cdivision": True,
    "freethreading_compatible": True,
    "embedsignature": False,
}
macros = []
if coverage:
    directives["linetrace"] = True
    macros.append(("CYTHON_TRACE_NOGIL", "1"))

compile_args = ["-O0", "-g"] if debug else ["-O1", "-g"] if sanitize else ["-O2"]
link_args = []
if sanitize:  # (as msgspec's MSGSPEC_SANITIZE)
    compile_args += ["-fsanitize=address", "-fno-omit-frame-pointer"]
    link_args += ["-fsanitize=address", "-fno-omit-frame-pointer"]

extensions = [
    Extension(
        f"qiam.{name}",
        [f"src/qiam/{name}.pyx"],
        define_macros=macros,
        extra_compile_args=compile_args,
        extra_link_args=link_args,
        optional=not require,
    )
    for name in ("_match", "_decide", "_front")
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives=directives,
        include_path=["src"],
        annotate=_flag("QIAM_ANNOTATE"),
        emit_linenums=debug,
    ),
)
